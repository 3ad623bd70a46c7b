"""GraphQL types of companies and postings."""

from __future__ import annotations

import strawberry

from jobgraph.jobs.models import Company as CompanyRow


@strawberry.type(description="An employer organisation.")
class Company:
    id: strawberry.ID
    name: str
    description: str
    website: str | None
    industry: str | None
    size: str | None
    locations: list[str]

    @classmethod
    def of(cls, row: CompanyRow) -> Company:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            description=row.description,
            website=row.website,
            industry=row.industry,
            size=row.size,
            locations=list(row.locations),
        )
