"""What the middlewares learn of a request and pass on to what runs after them: one typed
object in the ASGI scope, made where the request's site is known (``TenantResolution``);
and the request's headers, read once (``request_headers``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.types import Scope

from jobgraph.viewer import Viewer

if TYPE_CHECKING:
    # Type-only references up to the layers that fill these in (erased at run time).
    from sqlalchemy.ext.asyncio import AsyncSession

    from jobgraph.tenancy.registry import Tenant, TenantRegistry

_KEY = "jobgraph"


@dataclass
class RequestState:
    tenant: Tenant
    # The other sites of the pool, e.g. where one applied.
    sites: TenantRegistry
    # Set by SessionPerRequest: the request's session, bound to the tenant's pool.
    db: AsyncSession = field(init=False)
    # Set by Authentication.
    viewer: Viewer = field(default_factory=Viewer.anonymous)
    # The anonymous rate limit was already counted (by the public reads' cache).
    anonymous_counted: bool = False
    # A registered document's label ("sha256:...") when the request named one.
    document: str | None = None
    # The GraphQL request as TrustedDocuments resolved it: query, operationName, variables.
    payload: dict[str, Any] | None = None
    # The operation name, and how the metrics label the operation.
    operation: str | None = None
    measured_operation: str | None = None
    # How the request ended where that is not its status: "cached", "rejected"...
    outcome: str | None = None
    # The GraphQL request failed before execution (parse, validation, limits).
    request_error: bool = False
    # Its answer may be kept and shared by caches (a public read: graphql/public_reads.py),
    # so it carries nothing of one caller's own.
    shared_response: bool = False

    def attach(self, scope: Scope) -> None:
        scope[_KEY] = self


_HEADERS = "jobgraph.headers"


def request_headers(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name (a repeated one: its first, as Starlette's
    ``Headers.get`` answers), read once per request: the middlewares each asked Starlette's
    ``Headers`` anew, a scan of the list and a KeyError for every header not sent."""
    found: dict[str, str] | None = scope.get(_HEADERS)
    if found is None:
        found = {}
        for name, value in scope["headers"]:
            found.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        scope[_HEADERS] = found
    return found


def state_of(scope: Scope) -> RequestState:
    """The request's state; only after ``TenantResolution`` (it makes it)."""
    state: RequestState = scope[_KEY]
    return state


def state_if_any(scope: Scope) -> RequestState | None:
    """The request's state, or None where no site was resolved (an unknown host)."""
    state: RequestState | None = scope.get(_KEY)
    return state
