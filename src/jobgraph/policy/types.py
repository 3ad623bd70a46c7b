"""GraphQL enums of the disclosure vocabulary (the Python enums live in ``fields.py``)."""

import strawberry

from jobgraph.policy.fields import DataUse, ResumeField, ResumeVisibility, ThirdPartyDisclosure

# The GraphQL enums registered here, importable from here by the modules that use them.
__all__ = ["DataUse", "ResumeField", "ResumeVisibility", "ThirdPartyDisclosure"]

strawberry.enum(ResumeField, description="A field of a resume.")
strawberry.enum(ResumeVisibility, description="Who may find and read a resume, as its owner chose.")
strawberry.enum(
    ThirdPartyDisclosure,
    description="When personal data may go to a third party: only by law, or also with consent.",
)
strawberry.enum(DataUse, description="A purpose the tenant uses personal data for.")
