"""Webhooks' root fields: a site's admins manage the site's endpoints, a company's owners
the company's; both read each endpoint's deliveries and send one again."""

from __future__ import annotations

import uuid

import strawberry

from jobgraph.fields import Info, parse_id
from jobgraph.paging import DEFAULT_PAGE_SIZE, page_size
from jobgraph.permissions import AccountHolder
from jobgraph.policy.staff import Power, may, require
from jobgraph.webhooks import service
from jobgraph.webhooks.types import (
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointCreated,
    WebhookEvent,
)


def _company(info: Info, company_id: strawberry.ID | None) -> uuid.UUID | None:
    """The company the call is for, or None for the site (its admins only)."""
    if company_id is None:
        require(info.context.viewer, info.context.tenant, Power.CONFIGURE_SITE)
        return None
    return parse_id(company_id, "companyId")


def _site_admin(info: Info) -> bool:
    return may(info.context.viewer, info.context.tenant, Power.CONFIGURE_SITE)


@strawberry.type
class WebhooksQuery:
    @strawberry.field(
        permission_classes=[AccountHolder],
        description="The site's webhook endpoints (its admins), or a company's (its owners).",
    )
    async def webhook_endpoints(
        self, info: Info, company_id: strawberry.ID | None = None
    ) -> list[WebhookEndpoint]:
        context = info.context
        company = _company(info, company_id)
        if company is not None:
            await service.check_owner(context.db, context.viewer, company)
        rows = await service.endpoints_of(context.db, context.tenant, company)
        return [WebhookEndpoint.of(row) for row in rows]

    @strawberry.field(
        permission_classes=[AccountHolder],
        description="An endpoint's deliveries, newest first: at most `first`, after skipping "
        "`offset` of them.",
    )
    async def webhook_deliveries(
        self,
        info: Info,
        endpoint_id: strawberry.ID,
        first: int = DEFAULT_PAGE_SIZE,
        offset: int = 0,
    ) -> list[WebhookDelivery]:
        context = info.context
        endpoint = await service.endpoint_managed_by(
            context.db,
            context.tenant,
            context.viewer,
            parse_id(endpoint_id, "endpointId"),
            _site_admin(info),
        )
        size = page_size(context.tenant.max_page_size, first)
        rows = await service.deliveries_of(context.db, endpoint, size, offset)
        return [WebhookDelivery.of(row) for row in rows]


@strawberry.type
class WebhooksMutation:
    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Register an endpoint for events: the site's (its admins; companyId "
        "left out) or a company's (its owners). https only; its signing secret is shown once.",
    )
    async def create_webhook_endpoint(
        self,
        info: Info,
        url: str,
        events: list[WebhookEvent],
        company_id: strawberry.ID | None = None,
    ) -> WebhookEndpointCreated:
        context = info.context
        company = _company(info, company_id)
        settings = context.services.settings
        async with context.transaction() as db:
            row, secret = await service.register(
                db,
                context.tenant,
                context.viewer,
                settings.secret_key,
                url,
                [WebhookEvent(event) for event in events],
                company,
                settings.webhooks_allow_private,
            )
        return WebhookEndpointCreated(endpoint=WebhookEndpoint.of(row), secret=secret)

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Remove an endpoint (and its log of deliveries).",
    )
    async def delete_webhook_endpoint(self, info: Info, id: strawberry.ID) -> bool:
        context = info.context
        async with context.transaction() as db:
            endpoint = await service.endpoint_managed_by(
                db, context.tenant, context.viewer, parse_id(id, "id"), _site_admin(info)
            )
            await service.delete_endpoint(db, endpoint)
        return True

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Send a delivery again, soon (with the same webhook-id).",
    )
    async def redeliver_webhook(self, info: Info, delivery_id: strawberry.ID) -> WebhookDelivery:
        context = info.context
        async with context.transaction() as db:
            delivery = await service.delivery_managed_by(
                db,
                context.tenant,
                context.viewer,
                parse_id(delivery_id, "deliveryId"),
                _site_admin(info),
            )
            await service.redeliver(db, delivery)
        return WebhookDelivery.of(delivery)
