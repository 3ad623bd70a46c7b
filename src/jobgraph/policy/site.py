"""What the policy knows of a site: which one it is, whether it is a partner site, and the
rules it set. A tenant of the registry is one (``tenancy.registry.Tenant``); the policy
needs nothing else of it, and so depends on nothing above it."""

from __future__ import annotations

from typing import Protocol

from jobgraph.policy.config import Policy


class Site(Protocol):
    @property
    def slug(self) -> str: ...

    @property
    def pool_id(self) -> str: ...

    @property
    def site_name(self) -> str: ...

    @property
    def is_partner_site(self) -> bool: ...

    @property
    def policy(self) -> Policy: ...
