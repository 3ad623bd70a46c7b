"""GraphQL enums of the disclosure vocabulary (the Python enums live in ``fields.py``)."""

import strawberry

from jobgraph.policy.fields import DataUse, ResumeField, ResumeVisibility, ThirdPartyDisclosure

ResumeFieldType = strawberry.enum(ResumeField, description="A field of a resume.")
ResumeVisibilityType = strawberry.enum(
    ResumeVisibility, description="Who may find and read a resume, as its owner chose."
)
ThirdPartyDisclosureType = strawberry.enum(
    ThirdPartyDisclosure,
    description="When personal data may go to a third party: only by law, or also with consent.",
)
DataUseType = strawberry.enum(DataUse, description="A purpose the tenant uses personal data for.")
