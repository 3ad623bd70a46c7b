"""GraphQL types of privacy: statistics, the policy's dry run, a lawful disclosure."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from jobgraph.policy.fields import ResumeField
from jobgraph.privacy.explain import AccessPath
from jobgraph.resumes.types import DisclosureLevel, Relationship


@strawberry.type(
    description="Seekers whose value of an attribute is one label of the site's closed "
    "vocabulary (or none of them: 'other'), counted with noise (differential privacy)."
)
class StatisticGroup:
    value: str
    count: int


@strawberry.type(
    description="Seekers by attribute (on a partner site: its own seekers, who signed up "
    "or applied on it), as the site's latest release shows them: released once a period "
    "under epsilon-differential privacy, the same answer to every request until the next "
    "release. No release, whatever anyone does between two, tells whether one seeker is "
    "counted in a group better than e^epsilon / (1 + e^epsilon) of the time."
)
class SeekerStatistics:
    threshold: int = strawberry.field(description="Counts below this are not shown.")
    released_at: datetime | None = strawberry.field(
        description="When this release was made (none yet: the budget allowed none)."
    )
    next_release_at: datetime | None
    epsilon: float = strawberry.field(description="The privacy loss of this release.")
    budget_spent: float = strawberry.field(
        description="The privacy loss of the site's releases in the last 365 days."
    )
    yearly_budget: float = strawberry.field(
        description="The most the site's releases may spend in 365 days (its policy)."
    )
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
