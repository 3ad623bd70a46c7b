"""Postings for search engines: each as schema.org ``JobPosting`` JSON-LD, with every
property Google for Jobs requires and those it recommends, and a sitemap of a site's job
pages. A job page's address comes from the site's ``policy.job_url_template``; only
postings the site shows now (published, not expired) are listed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.jobs.enums import EmploymentType, RemoteOption
from jobgraph.jobs.models import Company, JobPosting
from jobgraph.jobs.search import shown_on
from jobgraph.places import BY_NAME
from jobgraph.tenancy.registry import Tenant

# schema.org's employmentType values (Google for Jobs lists the same).
_EMPLOYMENT_TYPES = {
    EmploymentType.FULL_TIME: "FULL_TIME",
    EmploymentType.PART_TIME: "PART_TIME",
    EmploymentType.CONTRACT: "CONTRACTOR",
    EmploymentType.INTERNSHIP: "INTERN",
}
# A sitemap file holds at most 50,000 addresses (sitemaps.org).
SITEMAP_LIMIT = 50_000


def job_url(tenant: Tenant, job_id: uuid.UUID) -> str | None:
    """The address of the job's page on the site, where the site says how to make it."""
    template = tenant.policy.job_url_template
    return template.replace("{id}", str(job_id)) if template else None


def json_ld(tenant: Tenant, job: JobPosting, company: Company) -> dict[str, Any]:
    """The posting as schema.org JobPosting, as the site shows it."""
    document: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": job.title,
        "description": job.description,
        "identifier": {"@type": "PropertyValue", "name": tenant.site_name, "value": str(job.id)},
        "hiringOrganization": {"@type": "Organization", "name": company.name},
        "employmentType": _EMPLOYMENT_TYPES[EmploymentType(job.employment_type)],
        "directApply": True,
    }
    if job.published_at is not None:
        document["datePosted"] = job.published_at.date().isoformat()
    if job.expires_at is not None:
        document["validThrough"] = job.expires_at.isoformat()
    if company.website:
        document["hiringOrganization"]["sameAs"] = company.website
    if company.logo_url:
        document["hiringOrganization"]["logo"] = company.logo_url
    address: dict[str, Any] = {"@type": "PostalAddress", "addressCountry": "JP"}
    if job.city:
        address["addressLocality"] = job.city
    prefecture = BY_NAME.get(job.prefecture or "")
    if prefecture is not None:
        address["addressRegion"] = prefecture.name_ja
    document["jobLocation"] = {"@type": "Place", "address": address}
    if job.remote == RemoteOption.FULL:
        document["jobLocationType"] = "TELECOMMUTE"
        document["applicantLocationRequirements"] = {"@type": "Country", "name": "JP"}
    if job.salary_min is not None or job.salary_max is not None:
        value: dict[str, Any] = {"@type": "QuantitativeValue", "unitText": job.salary_period}
        if job.salary_min is not None:
            value["minValue"] = job.salary_min
        if job.salary_max is not None:
            value["maxValue"] = job.salary_max
        document["baseSalary"] = {
            "@type": "MonetaryAmount",
            "currency": job.salary_currency,
            "value": value,
        }
    url = job_url(tenant, job.id)
    if url is not None:
        document["url"] = url
    return document


async def shown_with_company(
    db: AsyncSession, tenant: Tenant, job_id: uuid.UUID
) -> tuple[JobPosting, Company] | None:
    """A posting the site shows now, with its company, or None."""
    row = (
        await db.execute(
            select(JobPosting, Company)
            .join(
                Company,
                (Company.pool_id == JobPosting.pool_id) & (Company.id == JobPosting.company_id),
            )
            .where(JobPosting.id == job_id, shown_on(tenant).condition)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def sitemap(db: AsyncSession, tenant: Tenant) -> AsyncIterator[str]:
    """The site's sitemap.xml, written as the postings stream from the database (never
    the whole list in memory): the newest first, at most SITEMAP_LIMIT."""
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    )
    async with db.begin():
        rows = await db.stream(
            select(JobPosting.id, JobPosting.updated_at)
            .where(shown_on(tenant).condition)
            .order_by(JobPosting.published_at.desc(), JobPosting.id.desc())
            .limit(SITEMAP_LIMIT)
            .execution_options(yield_per=1000)
        )
        async for job_id, updated_at in rows:
            url = escape(job_url(tenant, job_id) or "")
            yield f"<url><loc>{url}</loc><lastmod>{updated_at.date().isoformat()}</lastmod></url>\n"
    yield "</urlset>\n"
