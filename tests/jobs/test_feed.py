"""A partner's aggregator feed: the postings its feed policy selects, in Indeed's XML
format with what Japanese aggregators read (city, salary, job type, station), streamed and
answered 304 while nothing changed."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from tests.support.employers import employer_of
from tests.support.partners import JOB_PAGES, PARTNER


async def test_the_feed_holds_what_the_partner_shows_in_indeeds_format(partner):
    employer = await employer_of(partner, PARTNER)
    job_id = await employer.post(
        title="Kobe <barista> & co ]]> beans",
        prefecture="Hyogo",
        city="Kobe",
        nearestStation="Sannomiya",
        salaryMin=1100,
        salaryMax=1300,
        salaryPeriod="HOUR",
        employmentType="PART_TIME",
    )
    draft = await employer.post(publish=False, title="Not yet")
    response = await partner.http.get("/feeds/indeed.xml", headers={"X-Tenant": PARTNER})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    source = ElementTree.fromstring(response.content)
    assert source.tag == "source" and source.findtext("publisher")
    jobs = {job.findtext("referencenumber"): job for job in source.iter("job")}
    shown = (await partner.data("{ jobs(first: 1) { totalCount } }", tenant=PARTNER))["jobs"]
    assert len(jobs) == shown["totalCount"] and draft not in jobs
    job = jobs[job_id]
    assert job.findtext("title") == "Kobe <barista> & co ]]> beans"
    assert job.findtext("url") == JOB_PAGES.replace("{id}", job_id)
    assert (job.findtext("city"), job.findtext("state"), job.findtext("country")) == (
        "Kobe",
        "兵庫県",
        "JP",
    )
    assert job.findtext("station") == "Sannomiya"
    assert job.findtext("salary") == "1100-1300 JPY per hour"
    assert job.findtext("jobtype") == "parttime"
    for required in ("date", "company", "description", "expirationdate"):
        assert job.findtext(required), required
    unchanged = await partner.http.get(
        "/feeds/indeed.xml",
        headers={"X-Tenant": PARTNER, "If-None-Match": response.headers["etag"]},
    )
    assert unchanged.status_code == 304


async def test_a_site_without_job_pages_has_no_feed(api):
    response = await api.http.get("/feeds/indeed.xml", headers={"X-Tenant": "jobboard"})
    assert response.status_code == 404
    assert "job_url_template" in response.json()["errors"][0]["message"]
