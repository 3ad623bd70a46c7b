"""Registering endpoints and raising events. An event becomes one delivery per endpoint
that asked for it, written in the transaction of what caused it (so no event is sent for a
change that rolled back, and none is lost for one that committed); `delivery.py` sends.

Payloads carry no personal information: ids, the event, the site, the time."""

from __future__ import annotations

import base64
import ipaddress
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.db.engine import in_pool, rows_changed
from jobgraph.errors import BadUserInput, Forbidden, NotFound
from jobgraph.identity.models import CompanyMember, MemberRole
from jobgraph.paging import checked_offset
from jobgraph.signing import sealer
from jobgraph.tenancy.registry import Tenant
from jobgraph.viewer import Viewer
from jobgraph.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent

MAX_ENDPOINTS = 10  # per site or company
# The events a site's endpoints and a company's may ask for.
SITE_EVENTS = frozenset(
    {
        WebhookEvent.POSTING_PUBLISHED,
        WebhookEvent.POSTING_UPDATED,
        WebhookEvent.POSTING_CLOSED,
        WebhookEvent.POSTING_EXPIRED,
        WebhookEvent.SITE_SETTINGS_CHANGED,
    }
)
COMPANY_EVENTS = frozenset(WebhookEvent) - {WebhookEvent.SITE_SETTINGS_CHANGED}


def check_url(url: str, allow_private: bool) -> str:
    """An endpoint's address: https, a host that is not a private, loopback or link-local
    address (unless for development), no credentials in it."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or len(url) > 500:
        raise BadUserInput("The endpoint must be an https:// address.", field="url")
    if parts.username or parts.password:
        raise BadUserInput("The endpoint's address may not hold credentials.", field="url")
    if allow_private:
        return url
    if parts.scheme != "https":
        raise BadUserInput("The endpoint must be an https:// address." + _DEVELOPMENT, field="url")
    if parts.hostname in ("localhost",) or parts.hostname.endswith((".localhost", ".internal")):
        raise BadUserInput(_NOT_PUBLIC, field="url")
    try:
        public = is_public(parts.hostname)
    except ValueError:
        return url  # a name: its addresses are checked again at each delivery
    if not public:
        raise BadUserInput(_NOT_PUBLIC, field="url")
    return url


# What a developer receiving webhooks on their own machine needs to know.
_DEVELOPMENT = (
    " (In development, the operator's JOBGRAPH_WEBHOOKS_ALLOW_PRIVATE=true also accepts "
    "http:// and addresses on this machine or a private network.)"
)
_NOT_PUBLIC = "The endpoint must be on the public internet." + _DEVELOPMENT


# IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64, the deprecated
# IPv4-compatible form): the IPv4 address inside is what such a packet reaches.
_CARRIES_IPV4 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("::/96"))


def is_public(text: str) -> bool:
    """Whether an address is on the public internet, the IPv4 address inside an IPv6 form
    judged too (mapped ::ffff:a.b.c.d, 6to4 2002::/16, NAT64, IPv4-compatible ::a.b.c.d)."""
    address = ipaddress.ip_address(text.split("%")[0])
    inner: list[ipaddress.IPv4Address] = []
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            inner.append(address.ipv4_mapped)
        if address.sixtofour is not None:
            inner.append(address.sixtofour)
        if any(address in network for network in _CARRIES_IPV4):
            inner.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return address.is_global and all(candidate.is_global for candidate in inner)


async def check_owner(db: AsyncSession, viewer: Viewer, company_id: uuid.UUID) -> None:
    """A company's endpoints are its owners' to manage."""
    role = await db.scalar(
        select(CompanyMember.role).where(
            CompanyMember.company_id == company_id,
            CompanyMember.account_id == viewer.account_id,
        )
    )
    if role != MemberRole.OWNER:
        raise Forbidden("Only an owner of the company manages its webhooks.")


async def register(
    db: AsyncSession,
    tenant: Tenant,
    viewer: Viewer,
    secret_key: str,
    url: str,
    events: list[WebhookEvent],
    company_id: uuid.UUID | None,
    allow_private: bool,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint, and its signing secret (shown this once: kept only sealed)."""
    url = check_url(url, allow_private)
    allowed = COMPANY_EVENTS if company_id is not None else SITE_EVENTS
    if not events or not set(events) <= allowed:
        names = ", ".join(sorted(str(event.name) for event in allowed))
        raise BadUserInput(f"Choose one or more of these events: {names}.", field="events")
    if company_id is not None:
        await check_owner(db, viewer, company_id)
    count = len(await endpoints_of(db, tenant, company_id))
    if count >= MAX_ENDPOINTS:
        raise BadUserInput(f"At most {MAX_ENDPOINTS} endpoints each.", field="url")
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    row = WebhookEndpoint(
        pool_id=tenant.pool_id,
        tenant_slug=tenant.slug,
        id=uuid.uuid4(),
        company_id=company_id,
        url=url,
        events=sorted(str(event) for event in set(events)),
        secret=sealer(secret_key).encrypt(secret.encode()).decode(),
        created_by=viewer.actor,
        created_at=datetime.now(UTC),
    )
    db.add(row)
    await db.flush()
    return row, secret


def secret_of(endpoint: WebhookEndpoint, secret_key: str) -> str:
    return sealer(secret_key).decrypt(endpoint.secret.encode()).decode()


async def endpoints_of(
    db: AsyncSession, tenant: Tenant, company_id: uuid.UUID | None
) -> list[WebhookEndpoint]:
    """A site's endpoints (company_id None), or a company's."""
    owner = (
        WebhookEndpoint.company_id == company_id
        if company_id is not None
        else (WebhookEndpoint.tenant_slug == tenant.slug) & WebhookEndpoint.company_id.is_(None)
    )
    rows = await db.scalars(
        select(WebhookEndpoint).where(owner).order_by(WebhookEndpoint.created_at)
    )
    return list(rows)


async def endpoint_managed_by(
    db: AsyncSession, tenant: Tenant, viewer: Viewer, endpoint_id: uuid.UUID, site_admin: bool
) -> WebhookEndpoint:
    """An endpoint the viewer manages: the site's (its admins) or a company's (its owners)."""
    row = await db.get(WebhookEndpoint, (tenant.pool_id, endpoint_id))
    if row is None or (row.company_id is None and row.tenant_slug != tenant.slug):
        raise NotFound(f"No webhook endpoint {endpoint_id} here.", field="id")
    if row.company_id is None:
        if not site_admin:
            raise Forbidden("Only the site's admins manage its webhooks.")
    else:
        await check_owner(db, viewer, row.company_id)
    return row


async def delivery_managed_by(
    db: AsyncSession, tenant: Tenant, viewer: Viewer, delivery_id: uuid.UUID, site_admin: bool
) -> WebhookDelivery:
    """A delivery to an endpoint the viewer manages."""
    delivery = await db.get(WebhookDelivery, (tenant.pool_id, delivery_id))
    if delivery is None:
        raise NotFound(f"No webhook delivery {delivery_id} here.", field="deliveryId")
    await endpoint_managed_by(db, tenant, viewer, delivery.endpoint_id, site_admin)
    return delivery


async def delete_endpoint(db: AsyncSession, endpoint: WebhookEndpoint) -> None:
    await rows_changed(
        db,
        delete(WebhookEndpoint).where(
            WebhookEndpoint.pool_id == endpoint.pool_id, WebhookEndpoint.id == endpoint.id
        ),
    )


async def deliveries_of(
    db: AsyncSession, endpoint: WebhookEndpoint, first: int, offset: int
) -> list[WebhookDelivery]:
    rows = await db.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .limit(first)
        .offset(checked_offset(offset))
    )
    return list(rows)


async def redeliver(db: AsyncSession, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again (the same webhook-id: a receiver that has it ignores it)."""
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = datetime.now(UTC)
    delivery.attempts = 0
    return delivery


async def site_settings_changed(db: AsyncSession, tenant: Tenant) -> None:
    """The site's webhooks hear of a new version of its settings (tenancy's hook: its
    change runs outside the site's pool, so this works in it for a moment)."""
    async with in_pool(db, tenant.pool_id):
        await emit(db, tenant, WebhookEvent.SITE_SETTINGS_CHANGED, {"version": tenant.version})


async def emit(
    db: AsyncSession,
    tenant: Tenant,
    event: WebhookEvent,
    data: dict[str, Any],
    company_id: uuid.UUID | None = None,
    sites: list[str] | None = None,
) -> int:
    """Queue ``event`` for every endpoint that asked for it: the company's (where it is a
    company's event), and those of ``sites`` (default: the event's own site); how many."""
    owners: list[ColumnElement[bool]] = [
        (WebhookEndpoint.tenant_slug.in_(sites or [tenant.slug]))
        & WebhookEndpoint.company_id.is_(None)
    ]
    if company_id is not None:
        owners.append(WebhookEndpoint.company_id == company_id)
    endpoints = (
        (
            await db.execute(
                select(WebhookEndpoint.id).where(
                    or_(*owners), WebhookEndpoint.events.contains([str(event)])
                )
            )
        )
        .scalars()
        .all()
    )
    if not endpoints:
        return 0
    now = datetime.now(UTC)
    payload = {
        "type": str(event),
        "timestamp": now.isoformat(),
        "data": {"site": tenant.slug, **data},
    }
    await db.execute(
        insert(WebhookDelivery),
        [
            {
                "pool_id": tenant.pool_id,
                "tenant_slug": tenant.slug,
                "id": uuid.uuid4(),
                "endpoint_id": endpoint_id,
                "event": str(event),
                "payload": payload,
                "status": DeliveryStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for endpoint_id in endpoints
        ],
    )
    return len(endpoints)
