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
``requestedQueryCost``, ``actualQueryCost``, ``readCost`` and ``throttleStatus``
(``maximumAvailable``, ``currentlyAvailable``, ``restoreRate``). A public read that caches
and proxies share (``public_reads.py``) carries the query's costs but not what reading it
cost or the throttle status, which are the first caller's own. Subscriptions are limited
by their connections, not by this budget.

Reading a document the server has not read before (parsing and validating it) costs more
than running a search page (a new whole page: about as much as the rest of its work), so a
caller pays for it too, before it is read: the site's ``read_cost_per_token`` for each of
its tokens (counted ahead of the parser: ``limits.Written``), at most ``max_cost``, taken
from the same bucket; a bucket that does not hold it refuses the document unparsed. A
document each process has read (``admission.DOCUMENTS``) is free to read again: a client
sends its values as variables. ``extensions.cost.readCost`` says what reading cost.

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
from jobgraph.policy.config import ApiPolicy
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


def read_cost(api: ApiPolicy, tokens: int) -> int:
    """What reading a new document of ``tokens`` tokens costs on a site."""
    return min(tokens * api.read_cost_per_token, api.max_cost)


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
    """The THROTTLED error of a query the bucket cannot hold, its response's status and
    Retry-After; the wait it tells remembered (``TOLD_TO_WAIT``)."""
    wait = _told_to_wait(context, bucket.seconds_until(requested))
    return _throttled(
        context,
        f"This query costs {requested} points and {_holds(bucket)}. Try again in {wait} "
        "seconds, or ask for fewer items or counts.",
        wait,
    )


def refuse_reading(context: Context, points: int, bucket: Bucket) -> GraphQLError:
    """The THROTTLED error of a new document whose reading the bucket cannot hold."""
    wait = _told_to_wait(context, bucket.seconds_until(points))
    return _throttled(
        context,
        f"This document is new to the server: reading it costs {points} points and "
        f"{_holds(bucket)}. Try again in {wait} seconds; a document sent before, its values "
        "as variables, costs nothing to read.",
        wait,
    )


def _holds(bucket: Bucket) -> str:
    return (
        f"your budget on this site holds {int(bucket.available)} now ({bucket.restore_rate} "
        f"come back each second, up to {bucket.maximum})"
    )


def _told_to_wait(context: Context, wait: int) -> int:
    """``wait``, remembered as told to the caller (``TOLD_TO_WAIT``)."""
    caller, now, caches = caller_of(context), time.monotonic(), context.services.caches
    told = TOLD_TO_WAIT.get(caller, caches)
    refusals = told.refusals + 1 if told is not None and told.until > now else 1
    TOLD_TO_WAIT.put(caller, Told(now + wait, refusals), caches)
    return wait


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


def cost_extension(
    context: Context, requested: int, actual: int, bucket: Bucket, read: int = 0
) -> dict[str, Any]:
    cost: dict[str, Any] = {"requestedQueryCost": requested, "actualQueryCost": actual}
    # What the caller paid and holds is the first caller's own in a response others share.
    if not state_of(context.request.scope).shared_response:
        cost["readCost"] = read
        cost["throttleStatus"] = {
            "maximumAvailable": bucket.maximum,
            "currentlyAvailable": int(bucket.available),
            "restoreRate": bucket.restore_rate,
        }
    return cost
