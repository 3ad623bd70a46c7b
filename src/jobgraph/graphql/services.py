"""What the process holds between requests: made at start-up (``app.create_app``), closed at
shutdown, and handed to every request's context as ``Context.services``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from jobgraph.caches import Caches
from jobgraph.db.replicas import RecentWriters, ReplicaHealth
from jobgraph.identity.hooks import IdentityHooks
from jobgraph.identity.oidc import ProviderKeys
from jobgraph.identity.tokens import TokenService
from jobgraph.jobs.facet_index import FacetIndexes
from jobgraph.jobs.search import SearchResults
from jobgraph.live import LiveEvents
from jobgraph.notifications.senders import Sender
from jobgraph.observability import Metrics
from jobgraph.ratelimit import CostBuckets, RateLimiter
from jobgraph.settings import Settings
from jobgraph.shedding import LoadShedding
from jobgraph.tenancy.hooks import TenancyHooks
from jobgraph.tenancy.registry import RegistryCache
from jobgraph.waiting import Together
from jobgraph.webhooks.hooks import WebhookHooks


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    registry: RegistryCache
    tokens: TokenService
    limiter: RateLimiter
    provider_keys: ProviderKeys
    metrics: Metrics
    shedding: LoadShedding
    search_results: SearchResults
    tenancy_hooks: TenancyHooks
    identity_hooks: IdentityHooks
    webhook_hooks: WebhookHooks
    # What subscriptions hear (live.py), through the process's listener.
    live: LiveEvents
    # Where the outbox's mail goes (JOBGRAPH_MAIL_SENDER).
    mail: Sender
    # Run after an account's deletion or erasure commits (JOBGRAPH_VACUUM_AFTER_DELETION):
    # reclaims what the deleted rows and the old versions of changed ones left in the
    # tables' files.
    after_erasure: Callable[[], Awaitable[None]] | None = None
    # Set with JOBGRAPH_READ_DATABASE_URL: where queries read (graphql/replicas.py).
    read_engine: AsyncEngine | None = None
    recent_writers: RecentWriters | None = None
    replica_health: ReplicaHealth | None = None
    # Every cache this app keeps, each with its key, its bound in bytes and what clears it.
    caches: Caches = field(default_factory=Caches)
    # Each caller's budget of cost points (graphql/budget.py), in Redis where configured.
    budgets: CostBuckets = field(default_factory=CostBuckets)
    # Each pool's facet index (jobs/facet_index.py); None with JOBGRAPH_FACET_INDEX_MAX_MB=0.
    facet_indexes: FacetIndexes | None = None
    # The new documents being validated now (graphql/admission.py): each once for all
    # the requests that bring it at once.
    validating: Together = field(default_factory=Together)
