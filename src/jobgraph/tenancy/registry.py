"""The tenants a process serves, and which one a request is for."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from jobgraph.db.engine import pooled_by_transaction
from jobgraph.db.listening import Listener
from jobgraph.policy.config import Policy
from jobgraph.tenancy.config import TenantConfig
from jobgraph.tenancy.models import PoolDataVersion, TenantRegistryState, TenantRow
from jobgraph.waiting import resolve

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tenant:
    slug: str
    pool_id: str
    version: int
    config: TenantConfig
    # A partner site's main site's policy: what the partner shows of the main site's
    # postings still follows the main site's rules where they are stricter.
    parent_policy: Policy | None = field(default=None, compare=False)

    @property
    def is_partner_site(self) -> bool:
        return self.config.parent is not None

    @property
    def policy(self) -> Policy:
        return self.config.policy

    @property
    def site_name(self) -> str:
        return self.config.branding.site_name

    @property
    def max_page_size(self) -> int:
        """The most items a list of this site returns at once."""
        return self.config.policy.api.max_page_size


class TenantRegistry:
    def __init__(self, tenants: list[Tenant]) -> None:
        self._by_slug = {tenant.slug: tenant for tenant in tenants}
        self._by_hostname = {
            hostname: tenant for tenant in tenants for hostname in tenant.config.hostnames
        }

    @classmethod
    async def load(cls, session: AsyncSession) -> TenantRegistry:
        rows = (await session.scalars(select(TenantRow))).all()
        configs = {row.slug: TenantConfig.model_validate(row.config) for row in rows}
        tenants = []
        for row in rows:
            config = configs[row.slug]
            parent = configs.get(config.parent) if config.parent else None
            tenants.append(
                Tenant(
                    row.slug,
                    row.pool_id,
                    row.version,
                    config,
                    parent_policy=parent.policy if parent else None,
                )
            )
        return cls(tenants)

    def __len__(self) -> int:
        return len(self._by_slug)

    def tenants(self) -> list[Tenant]:
        return sorted(self._by_slug.values(), key=lambda tenant: tenant.slug)

    def pools(self) -> list[str]:
        return sorted({tenant.pool_id for tenant in self._by_slug.values()})

    def get(self, slug: str) -> Tenant | None:
        return self._by_slug.get(slug)

    def for_host(self, host: str) -> Tenant | None:
        hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return self._by_hostname.get(hostname.lower().rstrip("."))


# The registry's version and every pool's data version, in the one read per request.
_VERSIONS = select(
    TenantRegistryState.version,
    select(
        func.json_object_agg(PoolDataVersion.pool_id, PoolDataVersion.version)
    ).scalar_subquery(),
)


CHANNEL = "jobgraph_versions"  # migration 0016: announced on every version change


class RegistryCache:
    """This process's copy of the registry and of every pool's data version, reloaded when
    another process, or a `jobgraph tenants sync`, changed them: changes apply from the
    next request on.

    How it knows: where it may rely on the process's ``listener`` (its own connection to
    the primary; not with a replica, which may lag the announcement), PostgreSQL announces
    each change and the versions are read again only then (and after this process's own
    writes, which must show in its next answer at once); a request in between costs no
    statement. Where it cannot (no listener, PgBouncer in transaction mode, a replica),
    every request reads the versions: one small statement."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        listener: Listener | None = None,
        on_reload: Callable[[], None] | None = None,
        primary: async_sessionmaker[AsyncSession] | None = None,
        use_primary: Callable[[], bool] = lambda: False,
        replica_failed: Callable[[str], None] | None = None,
    ) -> None:
        # ``sessions`` read the registry (a replica's, where one is configured); ``primary``
        # reads it instead while ``use_primary()`` says so (the replica is away: a failure
        # to read it is told to ``replica_failed``, and the read is made on the primary).
        self._sessions = sessions
        self._primary = primary or sessions
        self._use_primary = use_primary
        self._replica_failed = replica_failed
        # Called once a changed registry is read (what was kept of the old one is stale).
        self._on_reload = on_reload
        self._autocommit = _autocommit(sessions)
        self._primary_autocommit = self._autocommit if primary is None else _autocommit(primary)
        self._registry = TenantRegistry([])
        self._version: int | None = None
        # Each pool's public-data version as of this process's last check (migration 0015).
        self.data_versions: dict[str, int] = {}
        self._listener = listener
        # Counts announcements (and what stands for one); the copy is current while the
        # last successful check began after the last of them, and the listener is open.
        self._announcements = 1
        self._checked = 0
        self._announced: list[asyncio.Future[None]] = []
        if listener is not None:
            listener.on(CHANNEL, self._on_announcement)
            # Whatever changed while it did not listen: read the versions once.
            listener.on_change(self.invalidate)

    @property
    def version(self) -> int | None:
        """The registry's version as of this process's last check."""
        return self._version

    def invalidate(self) -> None:
        """Read the versions again at the next request (this process has just written)."""
        self._announcements += 1

    def next_announcement(self) -> asyncio.Future[None]:
        """Done when the next change is announced to this process."""
        future = asyncio.get_running_loop().create_future()
        self._announced.append(future)
        return future

    @property
    def listening(self) -> bool:
        return self._listener is not None and self._listener.listening

    async def until_listening(self, listening: bool = True) -> None:
        """Until this process listens for changes (with False: until it has stopped)."""
        assert self._listener is not None
        await self._listener.until_listening(listening)

    async def current(self) -> TenantRegistry:
        listening = self.listening
        if listening and self._checked == self._announcements:
            return self._registry
        # What is announced from now on, even during this check, needs another one.
        announcements = self._announcements
        on_primary = self._use_primary()
        autocommit = self._primary_autocommit if on_primary else self._autocommit
        sessions = self._primary if on_primary else self._sessions
        # One statement outside any transaction (no BEGIN and ROLLBACK around it).
        try:
            async with autocommit.connect() as connection:
                row = (await connection.execute(_VERSIONS)).one()
                version, data_versions = row[0], dict(row[1] or {})
        except (DBAPIError, OSError) as error:
            if not on_primary and self._replica_failed is not None:
                self._replica_failed(type(error).__name__)  # from now on, the primary
                return await self.current()
            log.warning("the tenant registry cannot be read (is the database migrated?)")
            return self._registry
        if version != self._version:
            async with sessions() as session:
                self._registry = await TenantRegistry.load(session)
            if self._version is not None and self._on_reload is not None:
                self._on_reload()
            self._version = version
        self.data_versions = data_versions
        if listening:
            self._checked = max(self._checked, announcements)
        return self._registry

    def _on_announcement(self, _payload: str) -> None:
        self._announcements += 1
        resolve(self._announced)


def _autocommit(sessions: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    """Where the registry's version is read: one statement outside any transaction, except
    behind a transaction pooler, where a statement outside a transaction could be prepared
    on one server and run on another (there the check runs in a transaction)."""
    bind: AsyncEngine = sessions.kw["bind"]
    return (
        bind
        if pooled_by_transaction(bind)
        else bind.execution_options(isolation_level="AUTOCOMMIT")
    )
