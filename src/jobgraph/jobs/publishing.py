"""Postings for search engines and aggregators: each as schema.org ``JobPosting`` JSON-LD,
with every property Google for Jobs requires and those it recommends, a sitemap of a site's
job pages, and a feed of its postings in Indeed's XML format. A job page's address comes
from the site's ``policy.job_url_template``; only postings the site shows now (published,
not expired, confirmed where it asks) are listed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.hygiene import xml_characters, xml_text
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
            url = xml_text(job_url(tenant, job_id) or "")
            yield f"<url><loc>{url}</loc><lastmod>{updated_at.date().isoformat()}</lastmod></url>\n"
    yield "</urlset>\n"


# Indeed's XML job feed (and Japanese aggregators' reading of it, Stanby's among them).
_JOB_TYPES = {
    EmploymentType.FULL_TIME: "fulltime",
    EmploymentType.PART_TIME: "parttime",
    EmploymentType.CONTRACT: "contract",
    EmploymentType.INTERNSHIP: "internship",
}
_SALARY_UNITS = {"HOUR": "hour", "DAY": "day", "MONTH": "month", "YEAR": "year"}


def _cdata(value: object) -> str:
    """Text in a CDATA section: its end split, and what XML may not carry dropped."""
    text = "" if value is None else xml_characters(str(value))
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _salary_text(job: JobPosting) -> str:
    if job.salary_min is None and job.salary_max is None:
        return ""
    amounts = "-".join(str(a) for a in (job.salary_min, job.salary_max) if a is not None)
    return f"{amounts} {job.salary_currency} per {_SALARY_UNITS[job.salary_period]}"


def _feed_job(tenant: Tenant, job: JobPosting, company_name: str) -> str:
    prefecture = BY_NAME.get(job.prefecture or "")
    fields = {
        "title": job.title,
        "date": format_datetime(job.published_at or job.updated_at, usegmt=True),
        "referencenumber": job.id,
        "url": job_url(tenant, job.id),
        "company": company_name,
        "city": job.city,
        "state": prefecture.name_ja if prefecture else job.prefecture,
        "country": "JP",
        "station": job.nearest_station,
        "description": job.description,
        "salary": _salary_text(job),
        "jobtype": _JOB_TYPES[EmploymentType(job.employment_type)],
        "category": job.category,
        "expirationdate": job.expires_at.date().isoformat() if job.expires_at else None,
        "remotetype": {"FULL": "Fully remote", "HYBRID": "Hybrid remote"}.get(job.remote),
    }
    inner = "".join(
        f"<{name}>{_cdata(value)}</{name}>" for name, value in fields.items() if value is not None
    )
    return f"<job>{inner}</job>\n"


async def indeed_feed(db: AsyncSession, tenant: Tenant) -> AsyncIterator[str]:
    """The site's postings (what its feed policy selects, expired ones never) as Indeed's
    XML job feed, written as they stream from the database."""
    yield (
        '<?xml version="1.0" encoding="utf-8"?>\n<source>'
        f"<publisher>{_cdata(tenant.site_name)}</publisher>"
        f"<lastBuildDate>{format_datetime(datetime.now(UTC), usegmt=True)}</lastBuildDate>\n"
    )
    async with db.begin():
        rows = await db.stream(
            select(JobPosting, Company.name)
            .join(
                Company,
                (Company.pool_id == JobPosting.pool_id) & (Company.id == JobPosting.company_id),
            )
            .where(shown_on(tenant).condition)
            .order_by(JobPosting.published_at.desc(), JobPosting.id.desc())
            .execution_options(yield_per=500)
        )
        async for job, company_name in rows:
            yield _feed_job(tenant, job, company_name)
    yield "</source>\n"
