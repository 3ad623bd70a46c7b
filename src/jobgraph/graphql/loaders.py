"""The loaders of one request, made on first use. A loader caches what it loaded for the
rest of the request, so it must never outlive the request or serve another viewer."""

from __future__ import annotations

from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.identity.loaders import AccountByIdLoader
from jobgraph.jobs.loaders import (
    CompanyByIdLoader,
    JobByIdLoader,
    PostingsPerParentLoader,
    TotalByJobLoader,
)
from jobgraph.jobs.search import shown_on
from jobgraph.resumes.loaders import ResumeByAccountLoader, applicant_count_by_job
from jobgraph.tenancy.registry import Tenant


class Loaders:
    """Each loader reads only the request tenant's pool (row-level security would refuse
    the rest anyway: the application does not rely on it)."""

    def __init__(self, db: AsyncSession, tenant: Tenant) -> None:
        self.db = db
        self.tenant = tenant
        self.pool_id = tenant.pool_id

    @cached_property
    def company_by_id(self) -> CompanyByIdLoader:
        return CompanyByIdLoader(self.db, self.pool_id)

    @cached_property
    def view_count_by_job(self) -> TotalByJobLoader:
        return TotalByJobLoader.views(self.db, self.pool_id)

    @cached_property
    def applicant_count_by_job(self) -> TotalByJobLoader:
        return applicant_count_by_job(self.db, self.pool_id)

    @cached_property
    def account_by_id(self) -> AccountByIdLoader:
        return AccountByIdLoader(self.db, self.pool_id)

    @cached_property
    def resume_by_account(self) -> ResumeByAccountLoader:
        return ResumeByAccountLoader(self.db, self.pool_id)

    @cached_property
    def job_by_id(self) -> JobByIdLoader:
        return JobByIdLoader(self.db, self.pool_id)

    @cached_property
    def open_jobs_by_company(self) -> PostingsPerParentLoader:
        return PostingsPerParentLoader.open_jobs(self.db, shown_on(self.tenant))

    @cached_property
    def similar_jobs_by_job(self) -> PostingsPerParentLoader:
        return PostingsPerParentLoader.similar_jobs(self.db, shown_on(self.tenant))
