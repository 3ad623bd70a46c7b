"""Loading tenant files into the database: idempotent, all or nothing."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.tenancy.config import TenantConfig
from jobgraph.tenancy.files import Problem, TenantConfigError
from jobgraph.tenancy.models import TenantHostnameRow, TenantRow


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [
            f"{label}: {', '.join(slugs)}"
            for label, slugs in (
                ("created", self.created),
                ("updated", self.updated),
                ("unchanged", self.unchanged),
            )
            if slugs
        ]
        return "; ".join(parts) or "no tenants"


def config_document(config: TenantConfig) -> dict:
    return config.model_dump(mode="json")


def config_hash(config: TenantConfig) -> str:
    canonical = json.dumps(config_document(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def sync_tenants(session: AsyncSession, configs: list[TenantConfig]) -> SyncReport:
    """Write validated configs (parents first) to the registry in one transaction."""
    report = SyncReport()
    async with session.begin():
        existing = {row.slug: row for row in (await session.scalars(select(TenantRow))).all()}
        pools = {slug: row.pool_id for slug, row in existing.items()}
        changed: list[TenantConfig] = []
        problems: list[Problem] = []
        for config in configs:
            pool_id = pools[config.parent] if config.parent else config.slug
            pools[config.slug] = pool_id
            digest = config_hash(config)
            row = existing.get(config.slug)
            if row is None:
                session.add(
                    TenantRow(
                        slug=config.slug,
                        pool_id=pool_id,
                        parent_slug=config.parent,
                        config=config_document(config),
                        config_hash=digest,
                        version=1,
                    )
                )
                report.created.append(config.slug)
            elif row.config_hash == digest:
                report.unchanged.append(config.slug)
                continue
            elif row.pool_id != pool_id:
                problems.append(
                    Problem(
                        f"{config.slug}.toml",
                        "parent",
                        "moving a tenant to another pool would orphan its data; "
                        "create a new tenant instead",
                    )
                )
                continue
            else:
                row.parent_slug = config.parent
                row.config = config_document(config)
                row.config_hash = digest
                row.version += 1
                report.updated.append(config.slug)
            changed.append(config)
        if problems:
            raise TenantConfigError(problems)
        await session.flush()
        slugs = [config.slug for config in changed]
        await session.execute(
            delete(TenantHostnameRow).where(TenantHostnameRow.tenant_slug.in_(slugs))
        )
        rows = [
            {"hostname": hostname, "tenant_slug": config.slug}
            for config in changed
            for hostname in config.hostnames
        ]
        if rows:
            try:
                await session.execute(insert(TenantHostnameRow), rows)
            except IntegrityError as error:
                raise TenantConfigError(
                    [
                        Problem(
                            "(database)",
                            "hostnames",
                            "a hostname is already served by a tenant that "
                            f"is not in these files: {error.orig}",
                        )
                    ]
                ) from error
    return report
