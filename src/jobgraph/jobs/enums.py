"""The closed vocabularies of postings (GraphQL enums are made from these)."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    ENGINEERING = "ENGINEERING"
    TEACHING = "TEACHING"
    SALES = "SALES"
    MARKETING = "MARKETING"
    HOSPITALITY = "HOSPITALITY"
    FINANCE = "FINANCE"
    DESIGN = "DESIGN"
    TRANSLATION = "TRANSLATION"
    CUSTOMER_SUPPORT = "CUSTOMER_SUPPORT"
    OTHER = "OTHER"


class EmploymentType(StrEnum):
    FULL_TIME = "FULL_TIME"
    PART_TIME = "PART_TIME"
    CONTRACT = "CONTRACT"
    INTERNSHIP = "INTERNSHIP"


class RemoteOption(StrEnum):
    NONE = "NONE"
    HYBRID = "HYBRID"
    FULL = "FULL"


class JapaneseLevel(StrEnum):
    """Required Japanese, from none to JLPT N1 (the hardest)."""

    NONE = "NONE"
    N5 = "N5"
    N4 = "N4"
    N3 = "N3"
    N2 = "N2"
    N1 = "N1"

    def and_easier(self) -> list[JapaneseLevel]:
        levels = list(JapaneseLevel)
        return levels[: levels.index(self) + 1]


class EnglishLevel(StrEnum):
    NONE = "NONE"
    CONVERSATIONAL = "CONVERSATIONAL"
    BUSINESS = "BUSINESS"
    NATIVE = "NATIVE"


class SalaryPeriod(StrEnum):
    HOUR = "HOUR"
    DAY = "DAY"
    MONTH = "MONTH"
    YEAR = "YEAR"


# How many of each period a year of full-time work holds: 8 hours a day, 261 working days
# (21.75 a month). A salary compares with others as the yearly figure these make of it.
PERIODS_PER_YEAR = {
    SalaryPeriod.HOUR: 2088,
    SalaryPeriod.DAY: 261,
    SalaryPeriod.MONTH: 12,
    SalaryPeriod.YEAR: 1,
}


def yearly_sql(column: str) -> str:
    """A posting's salary column as a yearly figure, in SQL (a generated column)."""
    cases = " ".join(
        f"WHEN '{period}' THEN {column}::bigint * {times}"
        for period, times in PERIODS_PER_YEAR.items()
    )
    return f"CASE salary_period {cases} END"


def yearly(amount: int | None, period: str) -> int | None:
    """The same in Python, for answers."""
    return None if amount is None else amount * PERIODS_PER_YEAR[SalaryPeriod(period)]


class JobStatus(StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    CLOSED = "CLOSED"
    EXPIRED = "EXPIRED"


class JobSort(StrEnum):
    RELEVANCE = "RELEVANCE"  # with a search text; otherwise the same as NEWEST
    NEWEST = "NEWEST"
    SALARY = "SALARY"


class AlertFrequency(StrEnum):
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
