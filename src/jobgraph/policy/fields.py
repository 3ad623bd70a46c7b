"""The vocabulary of disclosure: resume fields, visibilities, uses of data, and the platform
floor that no tenant configuration can lower.

Both seed policies are expressible in these terms: the job board with partner sites (resumes
PRIVATE or SEARCHABLE, personal information and last employer withheld from search,
third-party disclosure only by law) and the community site (PUBLIC profiles, the e-mail
address disclosed to a company on application, third-party disclosure with consent or by law).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any


class ResumeField(StrEnum):
    # Personal information (seed policies: "personal information").
    FULL_NAME = "FULL_NAME"
    BIRTH_DATE = "BIRTH_DATE"
    GENDER = "GENDER"
    NATIONALITY = "NATIONALITY"
    RESIDENCE_COUNTRY = "RESIDENCE_COUNTRY"
    RESIDENCE_REGION = "RESIDENCE_REGION"
    NEAREST_STATION = "NEAREST_STATION"
    PHONE = "PHONE"
    VISA_STATUS = "VISA_STATUS"
    EMAIL = "EMAIL"
    # The most recent employer: withheld like personal information in resume search.
    LAST_EMPLOYER = "LAST_EMPLOYER"
    # Other information.
    LANGUAGES = "LANGUAGES"
    EDUCATION = "EDUCATION"
    CAREER_LEVEL = "CAREER_LEVEL"
    WORK_HISTORY = "WORK_HISTORY"
    SKILLS = "SKILLS"
    HOBBIES = "HOBBIES"
    DESIRED_CATEGORIES = "DESIRED_CATEGORIES"
    DESIRED_LOCATIONS = "DESIRED_LOCATIONS"


PERSONAL_FIELDS: frozenset[ResumeField] = frozenset(
    {
        ResumeField.FULL_NAME,
        ResumeField.BIRTH_DATE,
        ResumeField.GENDER,
        ResumeField.NATIONALITY,
        ResumeField.RESIDENCE_COUNTRY,
        ResumeField.RESIDENCE_REGION,
        ResumeField.NEAREST_STATION,
        ResumeField.PHONE,
        ResumeField.VISA_STATUS,
        ResumeField.EMAIL,
        ResumeField.LAST_EMPLOYER,
    }
)
OTHER_FIELDS: frozenset[ResumeField] = frozenset(ResumeField) - PERSONAL_FIELDS
CONTACT_FIELDS: frozenset[ResumeField] = frozenset({ResumeField.EMAIL, ResumeField.PHONE})

# What resume search may filter on, by the field each filter reads: only fields search
# discloses, since a filter on a withheld field would reveal it through what it finds.
# (experience_years reads only the dates of the work history, never its employers.)
SEARCH_FILTERS: dict[str, ResumeField] = {
    "languages": ResumeField.LANGUAGES,
    "skills": ResumeField.SKILLS,
    "education_level": ResumeField.EDUCATION,
    "career_level": ResumeField.CAREER_LEVEL,
    "desired_categories": ResumeField.DESIRED_CATEGORIES,
    "desired_locations": ResumeField.DESIRED_LOCATIONS,
    "experience_years": ResumeField.WORK_HISTORY,
}

# The platform floor: what no tenant may make public, whatever its file says.
NEVER_PUBLIC: frozenset[ResumeField] = CONTACT_FIELDS

# What a company's webhook endpoint may receive of an applicant at all: single values and
# plain lists. The structured history (work, education, and the last employer within it)
# is read through the API, where its own rules apply.
WEBHOOK_FIELDS: frozenset[ResumeField] = frozenset(ResumeField) - {
    ResumeField.WORK_HISTORY,
    ResumeField.LAST_EMPLOYER,
    ResumeField.EDUCATION,
}


class ResumeVisibility(StrEnum):
    PRIVATE = "PRIVATE"  # seen by an employer only once the seeker applies to it
    SEARCHABLE = "SEARCHABLE"  # in employers' resume search, personal information withheld
    PUBLIC = "PUBLIC"  # a public profile with the fields the tenant makes public


class ThirdPartyDisclosure(StrEnum):
    LAW_ONLY = "LAW_ONLY"  # only if ordered by authorities or required by law
    CONSENT_OR_LAW = "CONSENT_OR_LAW"  # also with the seeker's express consent

    @property
    def openness(self) -> int:
        return {ThirdPartyDisclosure.LAW_ONLY: 0, ThirdPartyDisclosure.CONSENT_OR_LAW: 1}[self]


class DataUse(StrEnum):
    """The purposes a tenant declares it uses personal data for (seed policies, section 5/4)."""

    STATISTICS = "STATISTICS"
    UPDATE_REQUESTS = "UPDATE_REQUESTS"
    SITE_UPDATE_MAIL = "SITE_UPDATE_MAIL"
    JOB_ALERT_MAIL = "JOB_ALERT_MAIL"
    RESUME_SEARCH = "RESUME_SEARCH"


def last_jobs(work_history: Sequence[dict[str, Any]]) -> frozenset[int]:
    """Which jobs' employers are the seeker's last employer, in plain words: every job
    without an end date; where there is none, the job left most recently (all of them on
    a tie). Their employers are LAST_EMPLOYER wherever they appear."""
    current = frozenset(i for i, job in enumerate(work_history) if not job.get("end_date"))
    if current or not work_history:
        return current
    latest = max(job["end_date"] for job in work_history)
    return frozenset(i for i, job in enumerate(work_history) if job["end_date"] == latest)
