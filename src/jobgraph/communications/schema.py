"""Announcements, unsubscribing, and inquiries in the schema."""

from __future__ import annotations

import strawberry

from jobgraph.communications import service
from jobgraph.communications.models import InquiryStatus
from jobgraph.communications.types import Inquiry, InquiryReceipt
from jobgraph.fields import Info, keyless, parse_id, show_id
from jobgraph.paging import page_size
from jobgraph.permissions import Visitor, staff
from jobgraph.policy.staff import Power
from jobgraph.viewer import ViewerKind


@strawberry.type
class CommunicationsQuery:
    @strawberry.field(
        permission_classes=[staff(Power.READ_INQUIRIES)],
        description="Inquiries sent to this site, newest first.",
    )
    async def inquiries(
        self, info: Info, status: InquiryStatus | None = InquiryStatus.OPEN, first: int = 20
    ) -> list[Inquiry]:
        context = info.context
        size = page_size(context.tenant.max_page_size, first)
        rows = await service.inquiries(
            context.db, context.tenant, status.value if status else None, size
        )
        return [Inquiry.of(row) for row in rows]


@strawberry.type
class CommunicationsMutation:
    @strawberry.mutation(
        permission_classes=[Visitor],
        description="Send this site's admins a question or request; no account needed. "
        f"At most {service.MAX_INQUIRY} characters; a few per hour from one address.",
    )
    async def send_inquiry(
        self,
        info: Info,
        subject: str,
        body: str,
        name: str | None = None,
        reply_to: str | None = None,
    ) -> InquiryReceipt:
        context = info.context
        await context.services.limiter.hit(
            context.services.settings.inquiry_limit_per_address,
            "inquiry-address",
            context.tenant.slug,
            context.client_address,
            message="Too many inquiries from your address.",
        )
        viewer = context.viewer
        account_id = viewer.account_id if viewer.kind is ViewerKind.ACCOUNT else None
        async with context.transaction() as db:
            row = await service.send_inquiry(
                db, context.tenant, account_id, subject, body, name, reply_to
            )
        return InquiryReceipt(id=show_id(row.id), received_at=row.created_at)

    @strawberry.mutation(
        permission_classes=[staff(Power.READ_INQUIRIES)],
        description="Close an inquiry, with what was done about it.",
    )
    async def close_inquiry(
        self, info: Info, id: strawberry.ID, resolution: str | None = None
    ) -> Inquiry:
        context = info.context
        async with context.transaction() as db:
            row = await service.close_inquiry(
                db, context.tenant, parse_id(id, "id"), context.viewer.actor, resolution
            )
        return Inquiry.of(row)

    @strawberry.mutation(
        permission_classes=[staff(Power.SEND_ANNOUNCEMENTS)],
        description="Send an announcement about the site to the seekers who agreed to "
        "hear about its updates (through the outbox); each mail carries a link "
        "that withdraws that consent. Returns how many were queued.",
    )
    async def send_announcement(self, info: Info, subject: str, body: str) -> int:
        context = info.context
        async with context.transaction() as db:
            return await service.announce(
                db, context.tenant, subject, body, context.services.settings.secret_key
            )

    @strawberry.mutation(
        permission_classes=[Visitor],
        metadata=keyless(),
        description="Stop the e-mails an unsubscribe link was sent with (no sign-in: the "
        "link's token is the proof). Withdraws that consent.",
    )
    async def unsubscribe(self, info: Info, token: str) -> bool:
        context = info.context
        async with context.transaction() as db:
            await service.unsubscribe(
                db, context.tenant, context.services.settings.secret_key, token
            )
        return True
