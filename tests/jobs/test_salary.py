"""Salaries compared whatever their period: each posting's pay as a yearly and a monthly
figure, filtered and sorted by it, and counted in the buckets a partner's page chooses."""

from __future__ import annotations

from tests.conftest import error_code
from tests.support.employers import employer_of

JOB = """query($id: ID!) { job(id: $id) { salary { min max period
  yearly { min max } monthly { min max } } } }"""
TOTAL = """query($filter: JobFilterInput) { jobs(filter: $filter, first: 1) { totalCount } }"""
HISTOGRAM = """query($filter: JobFilterInput, $bounds: [Int!]!) {
  jobs(filter: $filter, first: 1) { salaryHistogram(bounds: $bounds) { min max count } } }"""
BOUNDS = [0, 3_000_000, 4_000_000, 6_000_000, 8_000_000]


async def test_an_hourly_wage_is_compared_as_a_year_of_full_time_work(api):
    employer = await employer_of(api, "jobboard")
    job_id = await employer.post(
        title="Barista", salaryMin=1200, salaryMax=1500, salaryPeriod="HOUR", prefecture="Tokyo"
    )
    salary = (await api.data(JOB, {"id": job_id}, tenant="jobboard"))["job"]["salary"]
    assert salary == {
        "min": 1200,
        "max": 1500,
        "period": "HOUR",
        "yearly": {"min": 2_505_600, "max": 3_132_000},
        "monthly": {"min": 208_800, "max": 261_000},
    }
    daily = await employer.post(title="Day guide", salaryMax=12_000, salaryPeriod="DAY")
    salary = (await api.data(JOB, {"id": daily}, tenant="jobboard"))["job"]["salary"]
    assert salary["yearly"]["max"] == 3_132_000 and salary["monthly"]["max"] == 261_000

    # A yearly minimum of 3,100,000 finds the barista (3,132,000 a year), not at 3,200,000.
    search = """query($filter: JobFilterInput) { jobs(filter: $filter, first: 50) {
      edges { node { id } } } }"""
    found = await api.data(search, {"filter": {"salaryAtLeast": 3_100_000}}, tenant="jobboard")
    assert job_id in [edge["node"]["id"] for edge in found["jobs"]["edges"]]
    found = await api.data(search, {"filter": {"salaryAtLeast": 3_200_000}}, tenant="jobboard")
    assert job_id not in [edge["node"]["id"] for edge in found["jobs"]["edges"]]


async def test_the_salary_sort_orders_by_the_yearly_figure(api):
    employer = await employer_of(api, "community")
    await employer.post(title="Monthly", salaryMax=400_000, salaryPeriod="MONTH")  # 4.8M
    await employer.post(title="Yearly", salaryMax=4_000_000, salaryPeriod="YEAR")
    query = """query($company: ID) { jobs(sort: SALARY, first: 30, filter: {companyId: $company})
      { edges { node { title salary { yearly { max } } } } } }"""
    mine = {"company": employer.company_id}
    edges = (await api.data(query, mine, tenant="community"))["jobs"]["edges"]
    yearly = [e["node"]["salary"]["yearly"]["max"] for e in edges]
    assert [y for y in yearly if y is not None] == sorted(
        (y for y in yearly if y is not None), reverse=True
    )
    titles = [e["node"]["title"] for e in edges]
    assert titles.index("Monthly") < titles.index("Yearly")


async def test_the_histogram_counts_the_buckets_a_page_chooses(api):
    buckets = (await api.data(HISTOGRAM, {"bounds": BOUNDS}, tenant="jobboard"))["jobs"][
        "salaryHistogram"
    ]
    assert [(b["min"], b["max"]) for b in buckets] == list(
        zip(BOUNDS, [*BOUNDS[1:], None], strict=True)
    )
    at_least = [
        (await api.data(TOTAL, {"filter": {"salaryAtLeast": bound}}, tenant="jobboard"))["jobs"][
            "totalCount"
        ]
        for bound in BOUNDS
    ]
    expected = [low - high for low, high in zip(at_least, [*at_least[1:], 0], strict=True)]
    assert [b["count"] for b in buckets] == expected and sum(expected) > 0
    # Like a facet, it counts under every filter but its own.
    filtered = await api.data(
        HISTOGRAM, {"bounds": BOUNDS, "filter": {"salaryAtLeast": 6_000_000}}, tenant="jobboard"
    )
    assert filtered["jobs"]["salaryHistogram"] == buckets


async def test_bounds_must_rise(api):
    for bounds in ([], [5, 3], [-1, 10], list(range(0, 2100, 100))):
        body = await api.graphql(HISTOGRAM, {"bounds": bounds}, tenant="jobboard")
        assert error_code(body) == "BAD_USER_INPUT", bounds
