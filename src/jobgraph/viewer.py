"""Who is asking: one ``Viewer`` per request, resolved once at the HTTP edge and read by
resolvers and the policy layer. Never None: nobody signed in is ``Viewer.anonymous()``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from jobgraph.errors import Unauthenticated


class ViewerKind(StrEnum):
    ANONYMOUS = "ANONYMOUS"  # a visitor with no credentials
    SITE_KEY = "SITE_KEY"  # a partner site's page, with its public key
    PARTNER_CLIENT = "PARTNER_CLIENT"  # a partner's server, client-credentials token
    ACCOUNT = "ACCOUNT"  # a signed-in person: seeker, employer member, tenant admin
    OPERATOR = "OPERATOR"  # a platform operator


class Scope(StrEnum):
    """What a partner client may do, granted when the client is created."""

    TENANT_READ = "tenant:read"
    JOBS_READ = "jobs:read"


@dataclass(frozen=True)
class Viewer:
    kind: ViewerKind
    account_id: uuid.UUID | None = None
    operator_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    client_id: str | None = None
    site_key_id: uuid.UUID | None = None
    scopes: frozenset[str] = frozenset()
    # Roles on the request's tenant, read from the database for this request.
    tenant_admin: bool = False
    companies: frozenset[uuid.UUID] = field(default_factory=frozenset)
    # Whether this session passed the second factor recently (identity/second_factor.py).
    second_factor_fresh: bool = False

    @classmethod
    def anonymous(cls) -> Viewer:
        # One for every request: a viewer never changes (frozen, its sets frozen), and a
        # frozen dataclass sets each of its fields with object.__setattr__.
        return _ANONYMOUS

    @property
    def signed_in_account(self) -> uuid.UUID:
        """The signed-in account's id, where a permission class (``AccountHolder``) has
        already required one."""
        if self.account_id is None:
            raise Unauthenticated("Sign in to an account first.")
        return self.account_id

    @property
    def is_signed_in(self) -> bool:
        return self.kind in (ViewerKind.ACCOUNT, ViewerKind.OPERATOR)

    @property
    def is_employer(self) -> bool:
        return bool(self.companies)

    @property
    def is_operator(self) -> bool:
        return self.kind is ViewerKind.OPERATOR

    @property
    def actor(self) -> str:
        """How records name this viewer (granted_by, created_by, disclosure records)."""
        if self.kind is ViewerKind.ACCOUNT:
            return f"account:{self.account_id}"
        if self.kind is ViewerKind.OPERATOR:
            return f"operator:{self.operator_id}"
        if self.kind is ViewerKind.PARTNER_CLIENT:
            return f"client:{self.client_id}"
        if self.kind is ViewerKind.SITE_KEY:
            return f"site-key:{self.site_key_id}"
        return "anonymous"


_ANONYMOUS = Viewer(ViewerKind.ANONYMOUS)
