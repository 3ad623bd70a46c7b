"""A tenant that trusts its own OpenID Connect provider: the suite generates the provider's
keys and serves its JWKS over real HTTP on this machine."""

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from tests.conftest import error_code

ME = "{ me { id email fullName } }"


class Provider:
    """Serves its JWKS (every GET but /authorize) and, for the console's browser sign-in,
    an authorization endpoint that signs in ``email`` at once and a token endpoint that
    checks the PKCE verifier."""

    def __init__(self, email: str = "ext.user@example.org") -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "provider-1", "alg": "RS256"})
        self.requests = 0
        self.email = email
        self.grants: dict[str, dict[str, str]] = {}
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.startswith("/authorize"):
                    self.authorize()
                    return
                provider.requests += 1
                body = json.dumps(KeySet([provider.key]).as_dict(private=False)).encode()
                self.reply(200, body)

            def authorize(self) -> None:
                asked = dict(parse_qsl(urlsplit(self.path).query))
                code = secrets.token_urlsafe(16)
                provider.grants[code] = asked
                query = urlencode({"code": code, "state": asked["state"]})
                self.send_response(302)
                self.send_header("location", f"{asked['redirect_uri']}?{query}")
                self.end_headers()

            def do_POST(self) -> None:
                length = int(self.headers["content-length"])
                form = dict(parse_qsl(self.rfile.read(length).decode()))
                grant = provider.grants.pop(form.get("code", ""), None)
                verifier = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                challenge = base64.urlsafe_b64encode(verifier).rstrip(b"=").decode()
                if (
                    grant is None
                    or grant["code_challenge"] != challenge
                    or grant["redirect_uri"] != form.get("redirect_uri")
                    or grant["client_id"] != form.get("client_id")
                ):
                    self.reply(400, b'{"error": "invalid_grant"}')
                    return
                token = provider.token(aud=grant["client_id"], email=provider.email)
                self.reply(200, json.dumps({"id_token": token, "token_type": "Bearer"}).encode())

            def reply(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("access-control-allow-origin", "*")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, key: RSAKey | None = None, **claims: object) -> str:
        now = int(time.time())
        body = {
            "iss": self.issuer,
            "aud": "jobboard-web",
            "sub": "ext-123",
            "email": "ext.user@example.org",
            "name": "Ext User",
            "iat": now,
            "exp": now + 300,
        } | claims
        signer = key or self.key
        return jwt.encode({"alg": "RS256", "kid": signer.kid}, body, signer, algorithms=["RS256"])


@pytest.fixture
async def oidc_api(provider, database, serve, reconfigure):
    section = (
        f'\n[auth.oidc]\nissuer = "{provider.issuer}"\naudience = "jobboard-web"\n'
        f'jwks_uri = "{provider.issuer}/jwks.json"\nalgorithms = ["RS256"]\n'
    )
    await reconfigure({"jobboard": lambda text: text + section})
    async with serve(database) as api:
        yield api


async def test_a_provider_token_signs_in_and_maps_to_one_local_account(oidc_api, provider):
    first = (await oidc_api.data(ME, tenant="jobboard", token=provider.token()))["me"]
    assert first["email"] == "ext.user@example.org" and first["fullName"] == "Ext User"
    again = (await oidc_api.data(ME, tenant="jobboard", token=provider.token()))["me"]
    assert again["id"] == first["id"]
    assert provider.requests == 1, "the provider's keys are cached"


async def test_provider_tokens_are_checked_like_our_own(oidc_api, provider):
    impostor = RSAKey.generate_key(2048, parameters={"kid": "provider-1"})
    cases = {
        "signature is not valid": provider.token(key=impostor),
        "another site": provider.token(aud="someone-else"),
        "has expired": provider.token(exp=int(time.time()) - 600),
    }
    for message, token in cases.items():
        response = await oidc_api.post(ME, tenant="jobboard", token=token)
        assert response.status_code == 401, message
        assert message in response.json()["errors"][0]["message"]


async def test_an_unverified_address_cannot_take_over_an_existing_account(oidc_api, provider):
    token = provider.token(sub="ext-999", email="seeker1@jobboard.test")
    response = await oidc_api.post(ME, tenant="jobboard", token=token)
    assert response.status_code == 401
    verified = provider.token(sub="ext-999", email="seeker1@jobboard.test", email_verified=True)
    me = (await oidc_api.data(ME, tenant="jobboard", token=verified))["me"]
    assert me["email"] == "seeker1@jobboard.test"


async def test_a_site_without_that_provider_refuses_its_tokens(oidc_api, provider):
    response = await oidc_api.post(ME, tenant="community", token=provider.token())
    assert response.status_code == 401
    assert error_code(response.json()) == "UNAUTHENTICATED"
