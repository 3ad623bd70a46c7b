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
    MONTH = "MONTH"
    YEAR = "YEAR"


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
