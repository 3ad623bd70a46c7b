"""Per-request loaders of the resumes domain."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from aiodataloader import DataLoader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.jobs.models import JobPosting
from jobgraph.resumes.models import Resume


class ResumeByAccountLoader(DataLoader[uuid.UUID, Resume | None]):
    def __init__(self, db: AsyncSession, pool_id: str) -> None:
        super().__init__()
        self.db = db
        self.pool_id = pool_id

    async def batch_load_fn(self, ids: Iterable[uuid.UUID]) -> list[Resume | None]:
        ids = list(ids)
        rows = await self.db.scalars(
            select(Resume).where(Resume.pool_id == self.pool_id, Resume.account_id.in_(ids))
        )
        by_account = {row.account_id: row for row in rows}
        return [by_account.get(account_id) for account_id in ids]


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
