"""Per-request loaders of the resumes domain."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from aiodataloader import DataLoader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.jobs.loaders import TotalByJobLoader
from jobgraph.resumes.models import Application, Resume
from jobgraph.resumes.service import ApplicationStatus


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


def applicant_count_by_job(db: AsyncSession, pool_id: str) -> TotalByJobLoader:
    """Applications to each posting that were not withdrawn (a posting's applicantCount)."""
    return TotalByJobLoader(
        db, pool_id, Application, func.count(), Application.status != ApplicationStatus.WITHDRAWN
    )
