"""The loaders of one request, made on first use. A loader caches what it loaded for the
rest of the request, so it must never outlive the request or serve another viewer."""

from __future__ import annotations

from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.identity.loaders import AccountByIdLoader
from jobgraph.jobs.loaders import CompanyByIdLoader, TotalByJobLoader
from jobgraph.resumes.loaders import JobByIdLoader, ResumeByAccountLoader


class Loaders:
    """Each loader reads only the request tenant's pool (row-level security would refuse
    the rest anyway: the application does not rely on it)."""

    def __init__(self, db: AsyncSession, pool_id: str) -> None:
        self.db = db
        self.pool_id = pool_id

    @cached_property
    def company_by_id(self) -> CompanyByIdLoader:
        return CompanyByIdLoader(self.db, self.pool_id)

    @cached_property
    def view_count_by_job(self) -> TotalByJobLoader:
        return TotalByJobLoader.views(self.db, self.pool_id)

    @cached_property
    def applicant_count_by_job(self) -> TotalByJobLoader:
        return TotalByJobLoader.applicants(self.db, self.pool_id)

    @cached_property
    def account_by_id(self) -> AccountByIdLoader:
        return AccountByIdLoader(self.db, self.pool_id)

    @cached_property
    def resume_by_account(self) -> ResumeByAccountLoader:
        return ResumeByAccountLoader(self.db, self.pool_id)

    @cached_property
    def job_by_id(self) -> JobByIdLoader:
        return JobByIdLoader(self.db, self.pool_id)
