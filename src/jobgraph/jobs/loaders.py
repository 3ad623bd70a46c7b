"""Per-request loaders of the jobs domain (one instance per request and viewer)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable

from aiodataloader import DataLoader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.jobs.models import Company, JobViewCount


class CompanyByIdLoader(DataLoader[uuid.UUID, Company | None]):
    def __init__(self, db: AsyncSession, pool_id: str) -> None:
        super().__init__()
        self.db = db
        self.pool_id = pool_id

    async def batch_load_fn(self, ids: Iterable[uuid.UUID]) -> list[Company | None]:
        ids = list(ids)
        rows = (
            await self.db.scalars(
                select(Company).where(Company.pool_id == self.pool_id, Company.id.in_(ids))
            )
        ).all()
        by_id = {row.id: row for row in rows}
        return [by_id.get(company_id) for company_id in ids]


class ViewCountByJobLoader(DataLoader[uuid.UUID, int]):
    """All-time views of each posting, over every tenant of the pool that showed it."""

    def __init__(self, db: AsyncSession, pool_id: str) -> None:
        super().__init__()
        self.db = db
        self.pool_id = pool_id

    async def batch_load_fn(self, ids: Iterable[uuid.UUID]) -> list[int]:
        ids = list(ids)
        rows = (
            await self.db.execute(
                select(JobViewCount.job_id, func.sum(JobViewCount.views))
                .where(JobViewCount.pool_id == self.pool_id, JobViewCount.job_id.in_(ids))
                .group_by(JobViewCount.job_id)
            )
        ).all()
        totals: dict[uuid.UUID, int] = defaultdict(int, {row[0]: int(row[1]) for row in rows})
        return [totals[job_id] for job_id in ids]
