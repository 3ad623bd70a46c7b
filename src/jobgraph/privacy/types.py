"""GraphQL types of privacy: statistics, the policy's dry run, a lawful disclosure."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from jobgraph.policy.fields import ResumeField
from jobgraph.privacy.explain import AccessPath
from jobgraph.resumes.types import DisclosureLevel, Relationship


@strawberry.type(
    description="Seekers with one value of an attribute, counted in steps of the site's "
    "minimum cell from a secret offset (so one seeker's change cannot be read off)."
)
class StatisticGroup:
    value: str
    count: int


@strawberry.type(
    description="Seekers by attribute (on a partner site: its own seekers, who signed "
    "up or applied on it). Counts are in steps of `threshold`; a group whose count "
    "rounds below it is not shown (small groups pool into 'other' by the same rule)."
)
class SeekerStatistics:
    threshold: int
    nationality: list[StatisticGroup]
    visa_status: list[StatisticGroup]
    career_level: list[StatisticGroup]
    japanese_level: list[StatisticGroup]


strawberry.enum(AccessPath, name="AccessPath", description="How a viewer reaches a resume.")


@strawberry.type(description="One field of a resume in a dry run: shown or not, and why.")
class FieldAccess:
    field: ResumeField
    disclosed: bool
    reason: str


@strawberry.type(
    description="What a viewer would see of a seeker's resume on a site by a path, as the "
    "policy decides it for real: field names and reasons, never values."
)
class AccessExplanation:
    relationship: Relationship
    level: DisclosureLevel
    note: str
    fields: list[FieldAccess]


@strawberry.type(description="What an authority was given, and the record of it.")
class LawfulDisclosureResult:
    data: JSON
    recorded: bool
    hidden_from_subject: bool
