"""GraphQL types of communications: inquiries to a site's admins."""

from __future__ import annotations

from datetime import datetime

import strawberry

from jobgraph.communications.models import Inquiry as InquiryRow
from jobgraph.communications.models import InquiryStatus
from jobgraph.fields import show_id

strawberry.enum(
    InquiryStatus,
    name="InquiryStatus",
    description="Whether an inquiry still waits for the site's admins.",
)


@strawberry.type(description="A message to this site's admins.")
class Inquiry:
    id: strawberry.ID
    status: InquiryStatus
    subject: str
    body: str
    name: str | None
    reply_to: str | None = strawberry.field(description="Where the sender asked to be answered.")
    from_account: bool = strawberry.field(description="Sent by a signed-in account holder.")
    received_at: datetime
    closed_at: datetime | None
    resolution: str | None

    @classmethod
    def of(cls, row: InquiryRow) -> Inquiry:
        return cls(
            id=show_id(row.id),
            status=InquiryStatus(row.status),
            subject=row.subject,
            body=row.body,
            name=row.name,
            reply_to=row.reply_to,
            from_account=row.account_id is not None,
            received_at=row.created_at,
            closed_at=row.closed_at,
            resolution=row.resolution,
        )


@strawberry.type(description="What was sent: the receipt of an inquiry.")
class InquiryReceipt:
    id: strawberry.ID
    received_at: datetime
