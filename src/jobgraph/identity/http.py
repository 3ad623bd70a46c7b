"""Authentication at the HTTP edge: turns the request's credentials into the one
``Viewer`` of the request, or refuses it with 401 ``UNAUTHENTICATED`` saying why.

    Authorization: Bearer <token>   a token jobgraph signed (account, operator, client),
                                    or one from the tenant's own OpenID Connect provider
    X-Site-Key: pk_...              a partner site's public key, from an allowed Origin
    (nothing)                       an anonymous visitor
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

from jobgraph.db.engine import flushed
from jobgraph.errors import Forbidden, JobgraphError, Unauthenticated, error_response
from jobgraph.http_security import origin_allowed
from jobgraph.identity.models import OperatorSession
from jobgraph.identity.oidc import account_for_external_token, issued_by
from jobgraph.identity.partners import active_client, active_site_key
from jobgraph.identity.roles import account_viewer
from jobgraph.identity.second_factor import is_fresh
from jobgraph.identity.tokens import OPERATOR_AUDIENCE
from jobgraph.ratelimit import RateLimited
from jobgraph.request_state import request_headers, state_of
from jobgraph.tenancy.registry import Tenant
from jobgraph.viewer import Viewer, ViewerKind


class Authentication:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = state_of(scope)
        services = scope["app"].state.services
        headers = request_headers(scope)
        try:
            if "authorization" in headers or "x-site-key" in headers:
                viewer = await proved(headers, state.tenant, state.db, services)
            else:
                viewer = Viewer.anonymous()
            if viewer.kind is ViewerKind.ANONYMOUS and not state.anonymous_counted:
                await limit_anonymous(scope, state.tenant, services)
        except RateLimited as error:
            await _refuse(error, {"Retry-After": str(error.retry_after)}, scope, receive, send)
            return
        except Forbidden as error:
            await _refuse(error, {}, scope, receive, send)
            return
        except Unauthenticated as error:
            await _refuse(
                error,
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
                scope,
                receive,
                send,
            )
            return
        state.viewer = viewer
        await self.app(scope, receive, send)


async def proved(
    credentials: Mapping[str, str], tenant: Tenant, db: AsyncSession, services: Any
) -> Viewer:
    """``viewer_from`` in a transaction the request's reads then go on in: a proof that
    only read leaves it open (the request's first read needs no second checkout, BEGIN
    and pool setting); one that wrote (an account made at a first sign-in through the
    site's provider) commits at once, whatever the request does next."""
    transaction = await db.begin()
    try:
        viewer = await viewer_from(credentials, tenant, db, services)
    except BaseException:
        await transaction.rollback()
        raise
    if flushed(db):
        await transaction.commit()
    return viewer


async def viewer_from(
    credentials: Mapping[str, str], tenant: Tenant, db: AsyncSession, services: Any
) -> Viewer:
    """The viewer ``credentials`` prove (request headers, by their lowercase names), or
    Unauthenticated or Forbidden saying why not."""
    authorization = credentials.get("authorization")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Send the token as 'Authorization: Bearer <token>'.")
        return await _bearer(token.strip(), tenant, db, services)
    site_key = credentials.get("x-site-key")
    if site_key:
        return await _site_key(site_key, credentials.get("origin"), tenant, db, services)
    return Viewer.anonymous()


async def _bearer(token: str, tenant: Tenant, db: AsyncSession, services: Any) -> Viewer:
    if issued_by(token, tenant.config.auth.oidc):
        account_id, second_factor = await account_for_external_token(
            db, services.provider_keys, tenant, token, services.settings.token_leeway_s
        )
        return await account_viewer(
            db, tenant, account_id, session_id=None, attested_second_factor=second_factor
        )
    claims = await services.tokens.verify(token, audience=[tenant.slug, OPERATOR_AUDIENCE])
    kind = claims.get("typ")
    if kind == "operator" and claims["aud"] == OPERATOR_AUDIENCE:
        return await _operator_viewer(db, claims)
    if claims["aud"] != tenant.slug or claims.get("pool") != tenant.pool_id:
        raise Unauthenticated("The access token was issued for another site; sign in on this one.")
    if kind == "account":
        session_id = _claimed_id(claims, "sid") if "sid" in claims else None
        return await account_viewer(db, tenant, _claimed_id(claims, "sub"), session_id)
    if kind == "client":
        client = await active_client(db, tenant, str(claims.get("client_id")))
        if client is None:
            raise Unauthenticated("This client has been revoked.")
        granted = set(str(claims.get("scope", "")).split()) & set(client.scopes)
        return Viewer(
            ViewerKind.PARTNER_CLIENT, client_id=client.client_id, scopes=frozenset(granted)
        )
    raise Unauthenticated("The access token is of a kind this site does not accept.")


async def _site_key(
    key: str, origin: str | None, tenant: Tenant, db: AsyncSession, services: Any
) -> Viewer:
    row = await active_site_key(db, tenant, key)
    if row is None:
        raise Unauthenticated("This site key is unknown or revoked on this site.")
    config = tenant.config
    if not origin_allowed(origin, config.policy.api.allowed_origins, config.hostnames):
        raise Forbidden(
            f"This site key may be used only from this site's allowed origins, "
            f"not from {origin or 'a request without an Origin'}."
        )
    await services.limiter.hit(
        f"{tenant.config.policy.api.site_key_requests_per_minute}/minute",
        "site-key",
        str(row.id),
        message="This site key has made too many requests.",
    )
    return Viewer(ViewerKind.SITE_KEY, site_key_id=row.id)


async def limit_anonymous(scope: Scope, tenant: Tenant, services: Any) -> None:
    """A caller without a key or a token is counted by its address (as the trusted proxy
    reports it: see the proxy settings), so leaving out the key buys no more requests."""
    address = scope["client"][0] if scope.get("client") else "unknown"
    await services.limiter.hit(
        f"{tenant.config.policy.api.anonymous_requests_per_minute}/minute",
        "anonymous",
        tenant.slug,
        address,
        message="Too many requests from your address.",
    )


def _claimed_id(claims: dict[str, Any], name: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(claims[name]))
    except (KeyError, ValueError) as error:
        raise Unauthenticated(
            f"The access token has an invalid {name!r} claim; sign in again."
        ) from error


async def _operator_viewer(db: AsyncSession, claims: dict[str, Any]) -> Viewer:
    session = await db.get(OperatorSession, _claimed_id(claims, "sid"))
    if session is None or session.revoked_at is not None:
        raise Unauthenticated("This operator session has been signed out; sign in again.")
    return Viewer(
        ViewerKind.OPERATOR,
        operator_id=session.operator_id,
        session_id=session.id,
        second_factor_fresh=is_fresh(session.second_factor_at),
    )


async def _refuse(
    error: JobgraphError,
    headers: dict[str, str],
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    await error_response(error, headers=headers)(scope, receive, send)
