"""GraphQL inputs of resumes: a whole resume, a patch of one, and their parts."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from jobgraph.policy.types import ResumeVisibility  # registered as a GraphQL enum there
from jobgraph.resumes.models import PLAIN_COLUMNS


@strawberry.input
class LanguageInput:
    language: str
    level: str


@strawberry.input
class EducationInput:
    school: str
    degree: str | None = None
    field: str | None = None
    start_year: int | None = None
    end_year: int | None = None


@strawberry.input
class WorkExperienceInput:
    employer: str
    title: str
    start_date: date | None = None
    end_date: date | None = None


@strawberry.input(description="Your whole resume; saving replaces what was there.")
class ResumeInput:
    visibility: ResumeVisibility | None = None
    full_name: str | None = None
    birth_date: date | None = None
    gender: str | None = None
    nationality: str | None = None
    residence_country: str | None = None
    residence_region: str | None = None
    nearest_station: str | None = None
    phone: str | None = None
    visa_status: str | None = None
    languages: list[LanguageInput] = strawberry.field(default_factory=list)
    education_level: str | None = None
    education_history: list[EducationInput] = strawberry.field(default_factory=list)
    career_level: str | None = None
    work_history: list[WorkExperienceInput] = strawberry.field(default_factory=list)
    skills: list[str] = strawberry.field(default_factory=list)
    hobbies: list[str] = strawberry.field(default_factory=list)
    desired_categories: list[str] = strawberry.field(default_factory=list)
    desired_locations: list[str] = strawberry.field(default_factory=list)

    def values(self) -> dict[str, Any]:
        return resume_values(self)


@strawberry.input(
    description="Changes to your resume: only the parts given change; null clears a part."
)
class ResumePatch:
    full_name: str | None = strawberry.UNSET
    birth_date: date | None = strawberry.UNSET
    gender: str | None = strawberry.UNSET
    nationality: str | None = strawberry.UNSET
    residence_country: str | None = strawberry.UNSET
    residence_region: str | None = strawberry.UNSET
    nearest_station: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    visa_status: str | None = strawberry.UNSET
    languages: list[LanguageInput] | None = strawberry.UNSET
    education_level: str | None = strawberry.UNSET
    education_history: list[EducationInput] | None = strawberry.UNSET
    career_level: str | None = strawberry.UNSET
    work_history: list[WorkExperienceInput] | None = strawberry.UNSET
    skills: list[str] | None = strawberry.UNSET
    hobbies: list[str] | None = strawberry.UNSET
    desired_categories: list[str] | None = strawberry.UNSET
    desired_locations: list[str] | None = strawberry.UNSET
    visibility: strawberry.Private[object] = strawberry.UNSET

    def values(self) -> dict[str, Any]:
        return resume_values(self)


def resume_values(source: ResumeInput | ResumePatch) -> dict[str, Any]:
    """The given fields of a ResumeInput or ResumePatch, as the service takes them (a
    patch's missing fields are left out)."""
    values = {
        name: getattr(source, name)
        for name in PLAIN_COLUMNS
        if getattr(source, name) is not strawberry.UNSET
    }
    if source.languages is not strawberry.UNSET:
        values["languages"] = [vars(item) for item in source.languages or []]
    if source.education_history is not strawberry.UNSET:
        values["education_history"] = [vars(item) for item in source.education_history or []]
    if source.work_history is not strawberry.UNSET:
        values["work_history"] = [
            {
                "employer": item.employer,
                "title": item.title,
                "start_date": item.start_date.isoformat() if item.start_date else None,
                "end_date": item.end_date.isoformat() if item.end_date else None,
            }
            for item in source.work_history or []
        ]
    return values
