"""Each caller's budget of cost points, as Shopify's and GitHub's GraphQL APIs keep one: a
limit on what a caller asks of the service, not on how often it asks.

A caller (an account, an operator, a partner client, a site key's visitor: the key and
the address, an anonymous address) has a bucket per site of at most the site's
``cost_budget`` points, refilled by ``cost_restore_per_second``. A query's estimated cost
(``limits.measure``: a point a field, times its lists, and what its counts cost the
database) is taken out before the query is validated or run; a bucket that does not hold
it refuses the query with ``THROTTLED`` and ``Retry-After``. Once it ran, what it did not
use is given back: the items its lists did not return, and its counts' cost to the
database where they all came from memory (``limits.actual_cost``, ``fields.Counting``). Buckets
are counted in Redis where JOBGRAPH_REDIS_URL is set, so that every process counts
together (``ratelimit.CostBuckets``: a process leases a tenth of a bucket that holds
plenty for a second, so that most queries make no call; what is given back reaches Redis
with the process's next take, or within 50 ms).

Every response of a query that was measured carries ``extensions.cost``:
``requestedQueryCost``, ``actualQueryCost`` and ``throttleStatus`` (``maximumAvailable``,
``currentlyAvailable``, ``restoreRate``). A public read that caches and proxies share
(``public_reads.py``) carries the costs but not the throttle status, which is the first
caller's own. Subscriptions are limited by their connections, not by this budget.

A caller told to wait that sends again, in that wait, a query its bucket cannot hold is
refused unread (before its document is read) until the wait ends: reading a new document
costs more than refusing it, and a caller choosing expensive queries could otherwise keep
the service reading them at no cost to its budget. A cheap query that fits after a first
refusal is served. Each process keeps what it told whom (``TOLD_TO_WAIT``)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response

from jobgraph.caches import CacheSpec, text_bytes
from jobgraph.errors import ErrorCode
from jobgraph.graphql.context import Context
from jobgraph.ratelimit import Bucket
from jobgraph.request_state import state_of
from jobgraph.viewer import ViewerKind


def caller_of(context: Context) -> str:
    """Whose bucket a request draws on, on its site."""
    viewer = context.viewer
    if viewer.kind is ViewerKind.ANONYMOUS:
        who = f"address:{context.client_address}"
    elif viewer.kind is ViewerKind.SITE_KEY:  # a partner's page: each visitor its own
        who = f"{viewer.actor}:{context.client_address}"
    else:
        who = viewer.actor
    return f"{context.tenant.slug}:{who}"


def budgeted(context: Any) -> bool:
    """Whether a request draws on a budget: a query or mutation over HTTP."""
    return isinstance(context, Context) and isinstance(context.request, Request)


async def take(context: Context, points: int) -> Bucket:
    """Take ``points`` from the caller's bucket."""
    api = context.tenant.config.policy.api
    return await context.services.budgets.take(
        caller_of(context), points, api.cost_budget, api.cost_restore_per_second
    )


def give_back(context: Context, points: int, after: Bucket) -> Bucket:
    """Give ``points`` back to the caller's bucket, which ``after`` is the take of (they
    reach Redis with the process's next call there: ``CostBuckets.give_back``)."""
    return context.services.budgets.give_back(caller_of(context), points, after)


@dataclass(frozen=True)
class Told:
    """A caller refused for its budget: until when it was told to wait (monotonic), and
    how many of its queries were refused so in that wait."""

    until: float
    refusals: int


TOLD_TO_WAIT: CacheSpec[str, Told] = CacheSpec(
    "told_to_wait",
    key="a caller refused for its budget on a site (caller_of); an entry whose wait has "
    "ended is disregarded and replaced by the caller's next refusal",
    max_bytes=2**20,
    weigh=lambda caller, _told: text_bytes(caller) + 64,
)


def refuse(context: Context, requested: int, bucket: Bucket) -> GraphQLError:
    """The THROTTLED error, its response's status and Retry-After; the wait it tells
    remembered (``TOLD_TO_WAIT``)."""
    wait = bucket.seconds_until(requested)
    caller, now, caches = caller_of(context), time.monotonic(), context.services.caches
    told = TOLD_TO_WAIT.get(caller, caches)
    refusals = told.refusals + 1 if told is not None and told.until > now else 1
    TOLD_TO_WAIT.put(caller, Told(now + wait, refusals), caches)
    return _throttled(
        context,
        f"This query costs {requested} points and your budget on this site holds "
        f"{int(bucket.available)} now ({bucket.restore_rate} come back each second, up to "
        f"{bucket.maximum}). Try again in {wait} seconds, or ask for fewer items or counts.",
        wait,
    )


def refused_unread(context: Context) -> GraphQLError | None:
    """THROTTLED before the document is read, for a caller that, told to wait, sent a
    query its budget could not hold again within that wait; None for any other."""
    told = TOLD_TO_WAIT.get(caller_of(context), context.services.caches)
    if told is None or told.refusals < 2:
        return None
    left = told.until - time.monotonic()
    if left <= 0:
        return None
    wait = math.ceil(left)
    return _throttled(
        context,
        f"You were asked to wait and sent again queries your budget on this site could not "
        f"hold; until that wait ends this site refuses your queries without reading them. "
        f"Try again in {wait} seconds.",
        wait,
    )


def _throttled(context: Context, message: str, wait: int) -> GraphQLError:
    response = context.response
    assert isinstance(response, Response)  # over HTTP (``budgeted``)
    response.status_code = 429
    response.headers["Retry-After"] = str(wait)
    return GraphQLError(message, extensions={"code": str(ErrorCode.THROTTLED), "retryAfter": wait})


def cost_extension(context: Context, requested: int, actual: int, bucket: Bucket) -> dict[str, Any]:
    cost: dict[str, Any] = {"requestedQueryCost": requested, "actualQueryCost": actual}
    if not state_of(context.request.scope).shared_response:
        cost["throttleStatus"] = {
            "maximumAvailable": bucket.maximum,
            "currentlyAvailable": int(bucket.available),
            "restoreRate": bucket.restore_rate,
        }
    return cost
