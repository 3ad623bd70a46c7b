"""What the process holds between requests: made at start-up (``app.create_app``), closed at
shutdown, and handed to every request's context as ``Context.services``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from jobgraph.db.replicas import RecentWriters
from jobgraph.graphql.transport import LoadShedding
from jobgraph.identity.oidc import ProviderKeys
from jobgraph.identity.tokens import TokenService
from jobgraph.jobs.search import SearchResults
from jobgraph.observability import Metrics
from jobgraph.ratelimit import RateLimiter
from jobgraph.settings import Settings
from jobgraph.tenancy.registry import RegistryCache


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
    # Set with JOBGRAPH_READ_DATABASE_URL: where queries read (graphql/replicas.py).
    read_engine: AsyncEngine | None = None
    recent_writers: RecentWriters | None = None
