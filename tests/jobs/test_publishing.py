"""Postings for search engines: JSON-LD with what Google for Jobs requires and recommends,
and each site's sitemap of its job pages, from the site's own host."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.support.employers import employer_of
from tests.support.partners import JOB_PAGES, PARTNER

# https://developers.google.com/search/docs/appearance/structured-data/job-posting
REQUIRED = {"title", "description", "datePosted", "hiringOrganization"}
RECOMMENDED = {"baseSalary", "employmentType", "validThrough", "directApply", "identifier"}
EMPLOYMENT_TYPES = {
    "FULL_TIME", "PART_TIME", "CONTRACTOR", "TEMPORARY", "INTERN", "VOLUNTEER", "PER_DIEM",
    "OTHER",
}  # fmt: skip
SALARY_UNITS = {"HOUR", "DAY", "WEEK", "MONTH", "YEAR"}


def check_google_job_posting(document: dict) -> None:
    """The properties Google lists for a JobPosting, with the shapes it requires."""
    assert document["@context"].rstrip("/") == "https://schema.org"
    assert document["@type"] == "JobPosting"
    assert document.keys() >= REQUIRED, REQUIRED - document.keys()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", document["datePosted"])
    organization = document["hiringOrganization"]
    assert organization["@type"] == "Organization" and organization["name"]
    if document.get("jobLocationType") == "TELECOMMUTE":
        assert document["applicantLocationRequirements"]["@type"] == "Country"
    else:
        address = document["jobLocation"]["address"]
        assert document["jobLocation"]["@type"] == "Place"
        assert address["@type"] == "PostalAddress" and address["addressCountry"] == "JP"
    assert document["employmentType"] in EMPLOYMENT_TYPES
    salary = document["baseSalary"]
    assert salary["@type"] == "MonetaryAmount" and re.fullmatch(r"[A-Z]{3}", salary["currency"])
    assert salary["value"]["@type"] == "QuantitativeValue"
    assert salary["value"]["unitText"] in SALARY_UNITS
    assert document["identifier"]["@type"] == "PropertyValue" and document["identifier"]["value"]
    assert isinstance(document["directApply"], bool)


async def posted(api, **fields) -> str:
    employer = await employer_of(api, PARTNER)
    return await employer.post(
        title="Osaka chef",
        description="Cook for our guests.",
        prefecture="Osaka",
        city="Osaka",
        salaryMin=250_000,
        salaryMax=320_000,
        salaryPeriod="MONTH",
        expiresAt=(datetime.now(UTC) + timedelta(days=30)).isoformat(),
        **fields,
    )


async def test_a_posting_as_google_for_jobs_reads_it(partner):
    job_id = await posted(partner)
    query = "query($id: ID!) { job(id: $id) { jsonLd } }"
    document = (await partner.data(query, {"id": job_id}, tenant=PARTNER))["job"]["jsonLd"]
    check_google_job_posting(document)
    assert document.keys() >= RECOMMENDED
    assert document["url"] == JOB_PAGES.replace("{id}", job_id)
    assert document["jobLocation"]["address"]["addressRegion"] == "大阪府"
    assert document["baseSalary"]["value"] == {
        "@type": "QuantitativeValue",
        "unitText": "MONTH",
        "minValue": 250_000,
        "maxValue": 320_000,
    }
    served = await partner.http.get(f"/jobs/{job_id}/jsonld", headers={"X-Tenant": PARTNER})
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/ld+json")
    assert served.json() == document
    again = await partner.http.get(
        f"/jobs/{job_id}/jsonld",
        headers={"X-Tenant": PARTNER, "If-None-Match": served.headers["etag"]},
    )
    assert again.status_code == 304


async def test_remote_work_says_where_applicants_may_live(partner):
    job_id = await posted(partner, remote="FULL")
    served = await partner.http.get(f"/jobs/{job_id}/jsonld", headers={"X-Tenant": PARTNER})
    document = served.json()
    check_google_job_posting(document)
    assert document["jobLocationType"] == "TELECOMMUTE"


async def test_a_posting_the_site_does_not_show_has_no_json_ld(partner):
    employer = await employer_of(partner, PARTNER)
    draft = await employer.post(publish=False, title="Not yet")
    for path in (f"/jobs/{draft}/jsonld", "/jobs/not-an-id/jsonld"):
        response = await partner.http.get(path, headers={"X-Tenant": PARTNER})
        assert response.status_code == 404
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_the_sitemap_lists_the_job_pages_the_site_shows(partner):
    job_id = await posted(partner)
    employer = await employer_of(partner, PARTNER)
    draft = await employer.post(publish=False, title="Draft")
    response = await partner.http.get("/sitemap.xml", headers={"X-Tenant": PARTNER})
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "application/xml"
    )
    urls = re.findall(r"<loc>([^<]+)</loc>", response.text)
    assert JOB_PAGES.replace("{id}", job_id) in urls
    assert JOB_PAGES.replace("{id}", draft) not in urls
    shown = (await partner.data("{ jobs(first: 1) { totalCount } }", tenant=PARTNER))["jobs"]
    assert len(urls) == shown["totalCount"]
    assert response.text.startswith('<?xml version="1.0"')
    unchanged = await partner.http.get(
        "/sitemap.xml", headers={"X-Tenant": PARTNER, "If-None-Match": response.headers["etag"]}
    )
    assert unchanged.status_code == 304


async def test_a_site_without_a_job_page_address_has_no_sitemap(api):
    response = await api.http.get("/sitemap.xml", headers={"X-Tenant": "jobboard"})
    assert response.status_code == 404
    assert "job_url_template" in response.json()["errors"][0]["message"]
