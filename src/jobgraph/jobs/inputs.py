"""GraphQL inputs of jobs: a search's filter, a posting and its patch, a company."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import strawberry

from jobgraph import places
from jobgraph.errors import BadUserInput
from jobgraph.fields import parse_id
from jobgraph.jobs import search

# The GraphQL enums, registered by jobs.types before any input names them.
from jobgraph.jobs.types import (
    Category,
    EmploymentType,
    EnglishLevel,
    JapaneseLevel,
    JobSort,
    RemoteOption,
    SalaryPeriod,
)

MAX_SEARCH_TEXT = 200
MAX_PER_COMPANY = 20


@strawberry.input(description="Narrows a job search; every given field must match.")
class JobFilterInput:
    categories: list[Category] | None = None
    employment_types: list[EmploymentType] | None = None
    prefecture: str | None = None
    city: str | None = None
    nearest_station: str | None = strawberry.field(
        default=None, description="A station, in English or Japanese (梅田, Umeda, 梅田駅)."
    )
    line: str | None = strawberry.field(
        default=None,
        description="A railway line (railwayLines), in English or Japanese: postings "
        "nearest a station it serves.",
    )
    remote: list[RemoteOption] | None = None
    salary_at_least: int | None = strawberry.field(
        default=None,
        description="The posting's maximum salary, as a yearly figure (Salary.yearly), is "
        "at least this.",
    )
    japanese_level_at_most: JapaneseLevel | None = strawberry.field(
        default=None, description="Postings requiring at most this level of Japanese."
    )
    visa_sponsorship: bool | None = None
    company_id: strawberry.ID | None = None
    posted_since: datetime | None = None
    tags: list[str] | None = strawberry.field(default=None, description="All of these tags.")

    def to_filter(self) -> search.JobFilter:
        return search.JobFilter(
            categories=list(self.categories or []),
            employment_types=list(self.employment_types or []),
            prefecture=_prefecture(self.prefecture, "filter.prefecture"),
            city=self.city,
            nearest_station=_station(self.nearest_station),
            line=_line(self.line),
            remote=list(self.remote or []),
            salary_at_least=self.salary_at_least,
            japanese_level_at_most=self.japanese_level_at_most,
            visa_sponsorship=self.visa_sponsorship,
            company_id=parse_id(self.company_id, "filter.companyId") if self.company_id else None,
            posted_since=self.posted_since,
            tags=[tag.lower() for tag in self.tags or []],
        )


def _prefecture(text: str | None, field: str) -> str | None:
    if text is None:
        return None
    found = places.prefecture_of(text)
    if found is None:
        raise BadUserInput(places.unknown_prefecture(text), field=field)
    return found.name


def _station(text: str | None) -> str | None:
    """A station of the table by its English name; another as given."""
    if text is None:
        return None
    found = places.station_of(text)
    return found.name if found else text.strip()


def _line(text: str | None) -> str | None:
    if text is None:
        return None
    found = places.line_of(text)
    if found is None:
        raise BadUserInput(places.unknown_line(text), field="filter.line")
    return found.name


# A search without a filter, one for all: a filter never changes (frozen, its lists never
# appended to), and a frozen dataclass sets each of its thirteen fields one by one.
NO_FILTER = search.JobFilter()


def job_query(
    text: str | None,
    filter: JobFilterInput | None,
    sort: JobSort,
    max_per_company: int | None = None,
) -> search.JobQuery:
    """A search as the API takes it (text, filter, sort, diversity), checked."""
    text = (text or "").strip() or None
    if text is not None and len(text) > MAX_SEARCH_TEXT:
        raise BadUserInput(
            f"The search text must have at most {MAX_SEARCH_TEXT} characters.", field="search"
        )
    if max_per_company is not None and not 1 <= max_per_company <= MAX_PER_COMPANY:
        raise BadUserInput(
            f"maxPerCompany must be between 1 and {MAX_PER_COMPANY}.", field="maxPerCompany"
        )
    return search.JobQuery(
        text=text,
        filter=filter.to_filter() if filter else NO_FILTER,
        sort=sort,
        max_per_company=max_per_company,
    )


@strawberry.input(description="A new posting; it starts as a DRAFT.")
class JobInput:
    company_id: strawberry.ID
    title: str
    description: str
    category: Category
    employment_type: EmploymentType
    prefecture: str | None = None
    city: str | None = None
    nearest_station: str | None = None
    remote: RemoteOption = RemoteOption.NONE
    salary_min: int | None = None
    salary_max: int | None = None
    salary_currency: str = "JPY"
    salary_period: SalaryPeriod = SalaryPeriod.YEAR
    japanese_level: JapaneseLevel = JapaneseLevel.NONE
    english_level: EnglishLevel = EnglishLevel.NONE
    visa_sponsorship: bool = False
    benefits: list[str] = strawberry.field(default_factory=list)
    tags: list[str] = strawberry.field(default_factory=list)
    expires_at: datetime | None = None

    def values(self) -> dict[str, Any]:
        """The posting's columns as the service takes them."""
        values = {
            name: (str(value) if isinstance(value, StrEnum) else value)
            for name, value in vars(self).items()
        }
        values["company_id"] = parse_id(self.company_id, "companyId")
        return values


# What a posting must keep: a patch may change these, never remove them.
_REQUIRED = {
    "title",
    "description",
    "category",
    "employment_type",
    "remote",
    "salary_currency",
    "salary_period",
    "japanese_level",
    "english_level",
    "visa_sponsorship",
    "benefits",
    "tags",
}


@strawberry.input(description="Changes to a posting: only the fields given change.")
class JobPatch:
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    category: Category | None = strawberry.UNSET
    employment_type: EmploymentType | None = strawberry.UNSET
    prefecture: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    nearest_station: str | None = strawberry.UNSET
    remote: RemoteOption | None = strawberry.UNSET
    salary_min: int | None = strawberry.UNSET
    salary_max: int | None = strawberry.UNSET
    salary_currency: str | None = strawberry.UNSET
    salary_period: SalaryPeriod | None = strawberry.UNSET
    japanese_level: JapaneseLevel | None = strawberry.UNSET
    english_level: EnglishLevel | None = strawberry.UNSET
    visa_sponsorship: bool | None = strawberry.UNSET
    benefits: list[str] | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    expires_at: datetime | None = strawberry.UNSET

    def changes(self) -> dict[str, Any]:
        """The fields given, as the service takes them."""
        changes = {
            name: value for name, value in vars(self).items() if value is not strawberry.UNSET
        }
        for name, value in changes.items():
            if value is None and name in _REQUIRED:
                raise BadUserInput(f"{name} cannot be removed, only changed.", field=name)
        return {
            name: (str(value) if isinstance(value, StrEnum) else value)
            for name, value in changes.items()
        }


@strawberry.input
class CompanyInput:
    name: str
    description: str = ""
    website: str | None = None
    industry: str | None = None
    size: str | None = None
    locations: list[str] = strawberry.field(default_factory=list)
