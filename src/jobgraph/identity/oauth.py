"""``POST /oauth/token``: the OAuth 2.0 client-credentials grant for partner servers,
through Authlib's authorization server. Authlib's flow is synchronous, so the client and
the signing key are fetched first; the flow then runs on what was fetched."""

from __future__ import annotations

import base64
import hmac
import logging
from typing import Any
from urllib.parse import parse_qsl, unquote

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Payload, OAuth2Request, grants
from authlib.oauth2.rfc6749.util import scope_to_list
from joserfc.jwk import ECKey
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from jobgraph.identity.models import OAuthClient
from jobgraph.identity.partners import active_client
from jobgraph.identity.tokens import TokenService, secret_digest
from jobgraph.request_state import state_of
from jobgraph.viewer import Scope

# Authlib logs issued tokens at DEBUG: keep its logs away from the secrets it handles.
logging.getLogger("authlib").setLevel(logging.WARNING)
_MAX_BODY = 8192


class _Client(ClientMixin):
    def __init__(self, row: OAuthClient) -> None:
        self.row = row

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        if not scope:
            return " ".join(self.row.scopes)
        return " ".join(s for s in scope_to_list(scope) if s in self.row.scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(secret_digest(client_secret), self.row.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class _Payload(OAuth2Payload):
    def __init__(self, form: dict[str, str]) -> None:
        self._form = form

    @property
    def data(self) -> dict[str, str]:
        return self._form

    @property
    def datalist(self) -> dict[str, list[str]]:
        return {key: [value] for key, value in self._form.items()}


class _Request(OAuth2Request):
    def __init__(self, uri: str, headers: Headers, form: dict[str, str]) -> None:
        super().__init__("POST", uri, headers=headers)
        self._form = form
        self.payload = _Payload(form)

    @property
    def args(self) -> dict[str, str]:
        return {}

    @property
    def form(self) -> dict[str, str]:
        return self._form


_INVALID_CLIENT = (
    "The client id and secret are not those of an active client of this site: check both "
    "(the secret is shown once, when the client is made), and the site named (X-Tenant or "
    "its hostname); or ask the site's admin for a new client (createOAuthClient)."
)


class _Server(AuthorizationServer):
    def __init__(self, client: OAuthClient | None, sign: Any) -> None:
        super().__init__(scopes_supported=[str(scope) for scope in Scope])
        self._client = _Client(client) if client is not None else None
        self.register_grant(grants.ClientCredentialsGrant)
        self.register_token_generator("client_credentials", sign)

    def query_client(self, client_id: str) -> _Client | None:
        if self._client is not None and self._client.get_client_id() == client_id:
            return self._client
        return None

    def create_oauth2_request(self, request: _Request) -> _Request:
        return request  # already built from the Starlette request

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        return None  # access tokens are self-contained JWTs: nothing to store

    def handle_response(self, status: int, body: Any, headers: Any) -> Response:
        if isinstance(body, dict) and body.get("error") == "invalid_client":
            # Authlib names the authentication methods it tried; a partner needs to know
            # what to check.
            body = {**body, "error_description": _INVALID_CLIENT}
        return JSONResponse(body, status_code=status, headers=dict(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None


def _client_id(headers: Headers, form: dict[str, str]) -> str | None:
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:]).decode()
        except ValueError:
            return None
        return unquote(decoded.partition(":")[0])
    return form.get("client_id")


async def token_endpoint(request: Request) -> Response:
    state = state_of(request.scope)
    tenant, db = state.tenant, state.db
    tokens: TokenService = request.app.state.services.tokens
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return JSONResponse(
            {
                "error": "invalid_request",
                "error_description": "Send the token request as application/x-www-form-urlencoded.",
            },
            status_code=400,
        )
    body = await request.body()
    if len(body) > _MAX_BODY:
        return JSONResponse(
            {"error": "invalid_request", "error_description": "The token request is too large."},
            status_code=413,
        )
    form = dict(parse_qsl(body.decode("utf-8", errors="replace"), max_num_fields=20))
    headers = request.headers  # case-insensitive, as Authlib's lookups need
    client_id = _client_id(headers, form)
    if any("\x00" in text for text in (*form.keys(), *form.values(), client_id or "")):
        return JSONResponse(
            {"error": "invalid_request", "error_description": "The request holds a NUL character."},
            status_code=400,
        )
    async with db.begin():
        client = await active_client(db, tenant, client_id) if client_id else None
    key: ECKey = await tokens.keyring.signing_key()

    def sign(
        grant_type: str, client: _Client, scope: str | None = None, **_: Any
    ) -> dict[str, Any]:
        granted = scope_to_list(client.get_allowed_scope(scope or ""))
        access_token = tokens.sign(
            key,
            subject=f"client:{client.row.client_id}",
            audience=tenant.slug,
            extra={
                "typ": "client",
                "pool": tenant.pool_id,
                "client_id": client.row.client_id,
                "scope": " ".join(granted),
            },
        )
        return {
            "token_type": "Bearer",
            "access_token": access_token,
            "expires_in": tokens.settings.access_token_ttl_s,
            "scope": " ".join(granted),
        }

    # TLS ends in front of the service; Authlib's transport check would refuse plain http.
    uri = str(request.url.replace(scheme="https"))
    server = _Server(client, sign)
    response: Response = server.create_token_response(_Request(uri, headers, form))
    return response
