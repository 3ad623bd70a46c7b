"""The tenant registry tables. They are platform data, not pool data: resolving a request's
tenant happens before its pool is known, so these tables carry no row-level security."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from jobgraph.db.models import Base


class TenantRow(Base):
    __tablename__ = "tenants"

    slug: Mapped[str] = mapped_column(String(63), primary_key=True)
    pool_id: Mapped[str] = mapped_column(String(63), index=True)
    parent_slug: Mapped[str | None] = mapped_column(
        String(63), ForeignKey("tenants.slug", ondelete="RESTRICT")
    )
    config: Mapped[dict[str, Any]] = mapped_column(JSONB)
    config_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Where the current version came from: FILE (tenants sync) or API (an admin's change).
    # `tenants sync` will not overwrite an API version unless forced.
    source: Mapped[str] = mapped_column(String(8), server_default="FILE")
    # What the tenant's file said when `tenants sync` last applied it (None before
    # migration 0028): the base from which a sync tells the file's edits from API changes.
    file_config: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class TenantConfigVersion(Base):
    """Every version a tenant's configuration has had: who made it, when, how, and what
    changed from the version before (a list of {key, from, to})."""

    __tablename__ = "tenant_config_versions"

    tenant_slug: Mapped[str] = mapped_column(
        String(63), ForeignKey("tenants.slug", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSONB)
    source: Mapped[str] = mapped_column(String(8))
    actor: Mapped[str] = mapped_column(String(100))
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TenantHostnameRow(Base):
    __tablename__ = "tenant_hostnames"

    hostname: Mapped[str] = mapped_column(String(253), primary_key=True)
    tenant_slug: Mapped[str] = mapped_column(
        String(63), ForeignKey("tenants.slug", ondelete="CASCADE"), index=True
    )


class TenantRegistryState(Base):
    """One row whose version a trigger bumps on every change to the registry, so each
    process can tell, with one cheap read per request, that its copy is stale."""

    __tablename__ = "tenant_registry_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class PoolDataVersion(Base):
    """A version of a pool's public data (postings, companies), bumped by a trigger on
    every statement that changes it (migration 0015): what cached public reads key on.
    Not the pool's data itself, so not under row-level security."""

    __tablename__ = "pool_data_versions"

    pool_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
