"""Per-request loaders of the jobs domain (one instance per request and viewer)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.jobs.models import Company, JobViewCount
from jobgraph.resumes.models import Application


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


class TotalByJobLoader(DataLoader[uuid.UUID, int]):
    """One number per posting, from one grouped query: all-time views (over every tenant
    of the pool that showed it), or applications that were not withdrawn."""

    def __init__(
        self, db: AsyncSession, pool_id: str, table: type, total: ColumnElement[Any], *where: Any
    ) -> None:
        super().__init__()
        self.db = db
        self.pool_id = pool_id
        self.table = table
        self.total = total
        self.where = where

    @classmethod
    def views(cls, db: AsyncSession, pool_id: str) -> TotalByJobLoader:
        return cls(db, pool_id, JobViewCount, func.sum(JobViewCount.views))

    @classmethod
    def applicants(cls, db: AsyncSession, pool_id: str) -> TotalByJobLoader:
        return cls(db, pool_id, Application, func.count(), Application.status != "WITHDRAWN")

    async def batch_load_fn(self, ids: Iterable[uuid.UUID]) -> list[int]:
        ids = list(ids)
        table: Any = self.table
        rows = (
            await self.db.execute(
                select(table.job_id, self.total)
                .where(table.pool_id == self.pool_id, table.job_id.in_(ids), *self.where)
                .group_by(table.job_id)
            )
        ).all()
        totals: dict[uuid.UUID, int] = defaultdict(int, {row[0]: int(row[1]) for row in rows})
        return [totals[job_id] for job_id in ids]
