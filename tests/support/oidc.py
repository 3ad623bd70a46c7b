"""A tenant's own OpenID Connect provider on this machine."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey


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
