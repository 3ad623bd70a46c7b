"""Per-request loaders of the jobs domain (one instance per request and viewer)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy import ColumnElement, Select, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from jobgraph.jobs.models import Company, JobPosting, JobViewCount
from jobgraph.jobs.search import Scope


class JobByIdLoader(DataLoader[uuid.UUID, JobPosting | None]):
    """Postings by id, whatever their status: an application keeps its posting."""

    def __init__(self, db: AsyncSession, pool_id: str) -> None:
        super().__init__()
        self.db = db
        self.pool_id = pool_id

    async def batch_load_fn(self, ids: Iterable[uuid.UUID]) -> list[JobPosting | None]:
        ids = list(ids)
        rows = await self.db.scalars(
            select(JobPosting).where(JobPosting.pool_id == self.pool_id, JobPosting.id.in_(ids))
        )
        by_id = {row.id: row for row in rows}
        return [by_id.get(job_id) for job_id in ids]


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
    """One number per posting, from one grouped query over ``table`` (which has a job_id):
    all-time views (over every tenant of the pool that showed it), or what another domain
    counts per posting (resumes: the applications)."""

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


# A page of postings per parent: (parent id, page size) -> the postings, in page order.
PageKey = tuple[uuid.UUID, int]


class PostingsPerParentLoader(DataLoader[PageKey, list[JobPosting]]):
    """A list of postings under each of many parents (a company's open jobs, a posting's
    similar ones) in one statement per page size: a LATERAL subquery finds each parent's
    first ``size`` postings by index, and the postings are read once."""

    def __init__(self, db: AsyncSession, scope: Scope, parent: Any, matches: Any, order: Any):
        super().__init__()
        self.db = db
        self.scope = scope
        self.parent = parent  # an aliased entity the parents are read from
        self.matches = matches  # (parent) -> condition on JobPosting
        self.order = order  # (parent, postings) -> ORDER BY of the page

    @classmethod
    def open_jobs(cls, db: AsyncSession, scope: Scope) -> PostingsPerParentLoader:
        return cls(
            db,
            scope,
            aliased(Company, name="parent"),
            lambda company: JobPosting.company_id == company.id,
            lambda _company, postings: [postings.published_at.desc(), postings.id.desc()],
        )

    @classmethod
    def similar_jobs(cls, db: AsyncSession, scope: Scope) -> PostingsPerParentLoader:
        return cls(
            db,
            scope,
            aliased(JobPosting, name="parent"),
            lambda job: (JobPosting.category == job.category) & (JobPosting.id != job.id),
            lambda job, postings: [
                (postings.prefecture == job.prefecture).desc(),
                postings.published_at.desc(),
                postings.id.desc(),
            ],
        )

    def statement(self, parent_ids: list[uuid.UUID], size: int) -> Select[Any]:
        parent = self.parent
        firsts = (
            select(JobPosting.id)
            .where(self.scope.condition, self.matches(parent))
            .order_by(*self.order(parent, JobPosting))
            .limit(size)
            .lateral("firsts")
        )
        shown = aliased(JobPosting, name="shown")
        return (
            select(parent.id, shown)
            .select_from(parent)
            .join(firsts, true())
            .join(shown, shown.id == firsts.c.id)
            .where(parent.pool_id == self.scope.pool_id, parent.id.in_(parent_ids))
            .order_by(parent.id, *self.order(parent, shown))
        )

    async def batch_load_fn(self, keys: Iterable[PageKey]) -> list[list[JobPosting]]:
        keys = list(keys)
        found: dict[PageKey, list[JobPosting]] = defaultdict(list)
        for size in sorted({size for _, size in keys}):
            parent_ids = [parent_id for parent_id, wanted in keys if wanted == size]
            for parent_id, posting in await self.db.execute(self.statement(parent_ids, size)):
                found[parent_id, size].append(posting)
        return [found[key] for key in keys]
