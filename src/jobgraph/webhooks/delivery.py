"""Sending the deliveries that are due, a kind of the one queue (``WEBHOOKS``, db/queue.py):
each is claimed with a lease and committed before it is sent, so several processes never
send one twice; one sent but not recorded (a crash) is sent again when its lease ends, with
the same webhook-id, which receivers deduplicate on: at least once, once in effect.

Signed as Standard Webhooks asks (webhook-id, webhook-timestamp, webhook-signature: an
HMAC-SHA256 of id, timestamp and body), so partners verify with existing libraries. Sent
safely: no redirects followed, connect and read timeouts, the response read to 64 KiB at
most, one delivery at a time per endpoint whichever process sends, and no address on a
private, loopback or link-local network (checked at each delivery, and the request sent to
the address checked: a name may change where it points, even between two lookups). A
delivery that fails is tried again after growing pauses for a day, then given up; its
endpoint is marked failing and its owners are told by e-mail."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased
from standardwebhooks import Webhook

from jobgraph.db.engine import bind_pool
from jobgraph.db.queue import QueueKind, claim, settle, settled
from jobgraph.identity.models import Account, CompanyMember, MemberRole, TenantAdmin
from jobgraph.notifications.outbox import enqueue
from jobgraph.tenancy.registry import TenantRegistry
from jobgraph.webhooks.hooks import WebhookHooks
from jobgraph.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from jobgraph.webhooks.service import is_public, secret_of

# The pauses before each next attempt; after GIVE_UP_AFTER a delivery is failed.
BACKOFF = tuple(timedelta(minutes=minutes) for minutes in (0.5, 2, 10, 30, 60, 120, 240, 480))
GIVE_UP_AFTER = timedelta(days=1)
LEASE = timedelta(minutes=5)  # a claimed delivery not recorded by then is sent again
# (JOBGRAPH_WEBHOOKS_LEASE_S where the periodic work sends)
BATCH = 100

WEBHOOKS = QueueKind(
    "webhooks",
    WebhookDelivery,
    done=DeliveryStatus.DELIVERED,
    pauses=BACKOFF,
    max_age=GIVE_UP_AFTER,
    guarantee="at least once, with the same webhook-id each time; one at a time per endpoint",
)
MAX_RESPONSE = 64 * 1024
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
ENDPOINTS_AT_ONCE = 10


@dataclass
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


@dataclass(frozen=True)
class _Claimed:
    id: uuid.UUID
    endpoint_id: uuid.UUID
    url: str
    secret: str
    body: str
    created_at: datetime
    attempts: int


@dataclass(frozen=True)
class _Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession],
    registry: TenantRegistry,
    secret_key: str,
    allow_private: bool,
    hooks: WebhookHooks,
    now: datetime | None = None,
    client: httpx.AsyncClient | None = None,
    lease: timedelta = LEASE,
) -> DeliveryReport:
    """Send every delivery due in every pool once; what became of them. An HTTPS client
    (tens of milliseconds to make: its TLS context) is made only when one is due."""
    report = DeliveryReport()
    made: httpx.AsyncClient | None = None
    try:
        for pool in registry.pools():
            claimed = await _claim(
                sessions, pool, secret_key, now or datetime.now(UTC), registry, hooks, lease
            )
            if claimed:
                if client is None:
                    client = made = httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False)
                outcomes = await _send_all(client, claimed, allow_private)
                done = now or datetime.now(UTC)
                await _record(sessions, registry, pool, claimed, outcomes, report, done)
    finally:
        if made is not None:
            await made.aclose()
    return report


_busy = aliased(WebhookDelivery)


async def _claim(
    sessions: async_sessionmaker[AsyncSession],
    pool: str,
    secret_key: str,
    now: datetime,
    registry: TenantRegistry,
    hooks: WebhookHooks,
    lease: timedelta,
) -> list[_Claimed]:
    async with sessions() as db, db.begin():
        bind_pool(db, pool)
        deliveries = (
            select(WebhookDelivery, WebhookEndpoint)
            .join(
                WebhookEndpoint,
                (WebhookEndpoint.pool_id == WebhookDelivery.pool_id)
                & (WebhookEndpoint.id == WebhookDelivery.endpoint_id),
            )
            # One deliverer at a time per endpoint, whichever process: none while another
            # holds a lease on one of the endpoint's deliveries, or claims the endpoint's
            # deliveries right now (its row is locked: ``lock``).
            .where(
                ~exists().where(
                    _busy.pool_id == WebhookDelivery.pool_id,
                    _busy.endpoint_id == WebhookDelivery.endpoint_id,
                    _busy.status == DeliveryStatus.SENDING,
                    _busy.next_attempt_at > now,
                )
            )
        )
        rows = await claim(db, WEBHOOKS, deliveries, now, lease, BATCH, lock=[WebhookEndpoint])
        claimed = []
        for delivery, endpoint in rows:
            payload = delivery.payload
            if delivery.event == WebhookEvent.APPLICATION_RECEIVED:
                # The applicant's fields where the policy allows: read as it is sent (never
                # kept with the delivery), and recorded as disclosed before it leaves.
                data = payload["data"]
                shown = await hooks.applicant_fields(db, registry, endpoint, data)
                payload = payload | {"data": data | shown} if shown else payload
            claimed.append(
                _Claimed(
                    id=delivery.id,
                    endpoint_id=delivery.endpoint_id,
                    url=endpoint.url,
                    secret=secret_of(endpoint, secret_key),
                    body=json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
                    created_at=delivery.created_at,
                    attempts=delivery.attempts,
                )
            )
    return claimed


async def _send_all(
    client: httpx.AsyncClient, claimed: list[_Claimed], allow_private: bool
) -> dict[uuid.UUID, _Outcome]:
    """Each endpoint's deliveries one after another; endpoints side by side."""
    by_endpoint: dict[uuid.UUID, list[_Claimed]] = defaultdict(list)
    for delivery in claimed:
        by_endpoint[delivery.endpoint_id].append(delivery)
    outcomes: dict[uuid.UUID, _Outcome] = {}
    turns = asyncio.Semaphore(ENDPOINTS_AT_ONCE)

    async def one_endpoint(deliveries: list[_Claimed]) -> None:
        async with turns:
            for delivery in deliveries:
                outcomes[delivery.id] = await _send(client, delivery, allow_private)

    await asyncio.gather(*(one_endpoint(deliveries) for deliveries in by_endpoint.values()))
    return outcomes


async def _send(client: httpx.AsyncClient, delivery: _Claimed, allow_private: bool) -> _Outcome:
    started = time.perf_counter()

    def outcome(status_code: int | None, error: str | None) -> _Outcome:
        return _Outcome(status_code, error, int((time.perf_counter() - started) * 1000))

    url, host, extensions = delivery.url, "", dict[str, Any]()
    if not allow_private:
        refused, address = await _public_address(delivery.url)
        if refused is not None or address is None:
            return outcome(None, refused)
        # To the address just checked: a name that points elsewhere by the time it is
        # looked up again (DNS rebinding) cannot lead the request into a private network.
        url, host, extensions = pinned(delivery.url, address)
    at = datetime.now(UTC)
    headers = {
        "content-type": "application/json",
        "user-agent": "jobgraph-webhooks/1",
        "webhook-id": str(delivery.id),
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(delivery.secret).sign(str(delivery.id), at, delivery.body),
    }
    if extensions:
        headers["host"] = host
    try:
        async with client.stream(
            "POST", url, content=delivery.body.encode(), headers=headers, extensions=extensions
        ) as response:
            read = 0
            async for chunk in response.aiter_bytes():
                read += len(chunk)
                if read >= MAX_RESPONSE:
                    break
            return outcome(response.status_code, None)
    except httpx.HTTPError as error:
        return outcome(None, f"{type(error).__name__}: {error}"[:500])


async def _public_address(url: str) -> tuple[str | None, str | None]:
    """The address to send to, or why the endpoint may not be reached (it points into a
    private network, or nowhere)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port)
    except OSError as error:
        return f"cannot resolve {host}: {error}"[:500], None
    for *_, address in found:
        if not is_public(str(address[0])):
            return f"refused: {host} resolves to a non-public address ({address[0]})", None
    return None, str(found[0][4][0]) if found else None


def pinned(url: str, address: str) -> tuple[str, str, dict[str, Any]]:
    """``url`` with its host replaced by ``address``, and what keeps the request the
    host's: its Host header, and the name TLS sends (SNI) and checks the certificate
    against."""
    parts = urlsplit(url)
    hostname = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    port = f":{parts.port}" if parts.port else ""
    host = f"{hostname}{port}"
    return (
        parts._replace(netloc=f"{literal}{port}").geturl(),
        host,
        {"sni_hostname": hostname},
    )


async def _record(
    sessions: async_sessionmaker[AsyncSession],
    registry: TenantRegistry,
    pool: str,
    claimed: list[_Claimed],
    outcomes: dict[uuid.UUID, _Outcome],
    report: DeliveryReport,
    now: datetime,
) -> None:
    async with sessions() as db, db.begin():
        bind_pool(db, pool)
        for delivery in claimed:
            result = outcomes[delivery.id]
            outcome = settled(
                WEBHOOKS, delivery.attempts, delivery.created_at, now, result.ok, result.error
            )
            values = outcome.values | {
                "last_status_code": result.status_code,
                "last_duration_ms": result.duration_ms,
            }
            if outcome.status == DeliveryStatus.DELIVERED:
                values["delivered_at"] = now
                report.delivered += 1
                await db.execute(
                    update(WebhookEndpoint)
                    .where(WebhookEndpoint.id == delivery.endpoint_id)
                    .values(failing_since=None)
                )
            elif outcome.status == DeliveryStatus.FAILED:
                report.failed += 1
                await _mark_failing(db, registry, delivery.endpoint_id, now)
            else:
                report.retrying += 1
            await settle(db, WEBHOOKS, delivery.id, values)


async def _mark_failing(
    db: AsyncSession, registry: TenantRegistry, endpoint_id: uuid.UUID, now: datetime
) -> None:
    """The first failure for good marks the endpoint failing and tells its owners once."""
    endpoint = await db.scalar(
        select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id).with_for_update()
    )
    if endpoint is None or endpoint.failing_since is not None:
        return
    endpoint.failing_since = now
    tenant = registry.get(endpoint.tenant_slug)
    if tenant is None:
        return
    owners = (
        select(Account.id, Account.email)
        .join(
            CompanyMember,
            (CompanyMember.pool_id == Account.pool_id) & (CompanyMember.account_id == Account.id),
        )
        .where(
            CompanyMember.company_id == endpoint.company_id,
            CompanyMember.role == MemberRole.OWNER,
        )
        if endpoint.company_id is not None
        else select(Account.id, Account.email)
        .join(
            TenantAdmin,
            (TenantAdmin.pool_id == Account.pool_id) & (TenantAdmin.account_id == Account.id),
        )
        .where(TenantAdmin.tenant_slug == endpoint.tenant_slug)
    )
    for account_id, email in (await db.execute(owners)).all():
        await enqueue(
            db,
            tenant,
            account_id,
            email,
            "WEBHOOK_FAILING",
            f"webhook-failing:{endpoint.id}:{now.isoformat()}:{account_id}",
            "A webhook endpoint is failing",
            f"{tenant.site_name} could not deliver events to {endpoint.url} for a day; it "
            "keeps trying new ones. See its deliveries (webhookDeliveries) and send the "
            "failed ones again (redeliverWebhook) once it answers.",
        )
