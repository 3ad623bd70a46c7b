"""GraphQL inputs of identity: a new job seeker's account."""

from __future__ import annotations

import strawberry


@strawberry.input(description="A new job seeker's account.")
class RegisterInput:
    email: str
    password: str = strawberry.field(description="At least 10 characters, not easy to guess.")
    full_name: str | None = strawberry.field(
        default=None, description="Required where the site's policy asks for it."
    )
    accepted_document_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="The ids of the site's privacy policy and terms in force (the "
        "legalDocuments query), which the seeker read and accepted: required "
        "where the site publishes them.",
    )
