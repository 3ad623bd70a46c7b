"""What the service tells its operators: one structured (JSON) log line per request, with
request id, tenant, operation, outcome and duration, and never personal data or secrets;
and Prometheus metrics at /metrics."""

from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from jobgraph.caches import current as current_caches
from jobgraph.errors import NotFound, Unauthenticated, error_response
from jobgraph.http_security import response_headers
from jobgraph.request_state import request_headers, state_if_any

if TYPE_CHECKING:
    from jobgraph.caches import Caches
    from jobgraph.live import LiveEvents

log = logging.getLogger("jobgraph.requests")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_STANDARD = set(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and any extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,  # which worker of `jobgraph serve --workers N`
        }
        entry.update(
            {
                key: value
                for key, value in vars(record).items()
                if key not in _STANDARD and not key.startswith("_")
            }
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str, fmt: str) -> None:
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


class Metrics:
    """One registry per app, so that several apps in one process (tests) do not collide."""

    def __init__(
        self, engine_pool: Any, live: LiveEvents, caches: Caches, in_flight: Callable[[], int]
    ) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_CacheCollector(caches))
        # `operation` is bounded: a trusted document's id, else the operation's first root
        # field (a name from the schema), never the name a client chose.
        self.requests = Counter(
            "jobgraph_requests_total",
            "Requests by tenant, operation (document id or root field) and outcome.",
            ["tenant", "operation", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "jobgraph_request_duration_seconds",
            "Request latency.",
            ["tenant"],
            registry=self.registry,
        )
        # Each label set's count and latency, found once (as many as the metrics hold):
        # prometheus_client's labels() checks and locks on every call.
        self._served: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        self.rejected = Counter(
            "jobgraph_rejected_queries_total",
            "Queries refused before execution, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self.compiled_reads = Counter(
            "jobgraph_graphql_compiled_reads",
            "Queries over public data answered by their document's plan, without the "
            "general executor (graphql/compiled.py).",
            registry=self.registry,
        )
        running = Gauge(
            "jobgraph_graphql_requests_in_flight",
            "GraphQL requests being served now (each holds one of the load shedder's turns).",
            registry=self.registry,
        )
        running.set_function(in_flight)
        pool_in_use = Gauge(
            "jobgraph_db_pool_checked_out", "Database connections in use.", registry=self.registry
        )
        pool_in_use.set_function(lambda: engine_pool.checkedout())
        pool_size = Gauge(
            "jobgraph_db_pool_size", "Database connections kept.", registry=self.registry
        )
        pool_size.set_function(lambda: engine_pool.size())
        live_connections = Gauge(
            "jobgraph_live_connections",
            "WebSocket connections of signed-in accounts open now, in this process.",
            registry=self.registry,
        )
        live_connections.set_function(lambda: live.slots.held)
        live_subscriptions = Gauge(
            "jobgraph_live_subscriptions",
            "Subscriptions waiting for events now.",
            registry=self.registry,
        )
        live_subscriptions.set_function(lambda: live.subscriptions)
        # What waits to be sent, as the work loop last saw it (work/periodic.py).
        self.work_queued = Gauge(
            "jobgraph_work_queued",
            "Items waiting to be sent, by queue (mail, webhooks), over every pool.",
            ["queue"],
            registry=self.registry,
        )
        self.work_oldest = Gauge(
            "jobgraph_work_oldest_seconds",
            "The age of the oldest item waiting to be sent, by queue.",
            ["queue"],
            registry=self.registry,
        )

    def served(self, tenant: str, operation: str, outcome: str, seconds: float) -> None:
        """One request served: counted by its labels, its latency observed."""
        key = (tenant, operation, outcome)
        children = self._served.get(key)
        if children is None:
            children = self._served[key] = (self.requests.labels(*key), self.latency.labels(tenant))
        children[0].inc()
        children[1].observe(seconds)

    def observe_work(self, backlog: Mapping[str, Any] | None) -> None:
        for queue, found in (backlog or {}).items():
            self.work_queued.labels(queue).set(found.queued)
            self.work_oldest.labels(queue).set(found.oldest_s)


class _CacheCollector(Collector):
    """Each cache of the app's registry (caches.py), read when Prometheus asks."""

    def __init__(self, caches: Caches) -> None:
        self.caches = caches

    def collect(self) -> Iterator[Metric]:
        hits = CounterMetricFamily(
            "jobgraph_cache_hits", "Lookups that found an entry.", labels=["cache"]
        )
        misses = CounterMetricFamily(
            "jobgraph_cache_misses", "Lookups that found none.", labels=["cache"]
        )
        entries = GaugeMetricFamily("jobgraph_cache_entries", "Entries kept now.", labels=["cache"])
        held = GaugeMetricFamily(
            "jobgraph_cache_bytes", "What the entries weigh now, in bytes.", labels=["cache"]
        )
        bound = GaugeMetricFamily(
            "jobgraph_cache_max_bytes", "The most the entries may weigh.", labels=["cache"]
        )
        for cache in self.caches:
            name = [cache.spec.name]
            hits.add_metric(name, cache.hits)
            misses.add_metric(name, cache.misses)
            entries.add_metric(name, len(cache))
            held.add_metric(name, cache.bytes)
            bound.add_metric(name, cache.spec.max_bytes)
        yield from (hits, misses, entries, held, bound)


async def metrics_endpoint(request: Request) -> Response:
    """For the operators' Prometheus only: a bearer token from the settings, or nothing."""
    services = request.app.state.services
    expected = services.settings.metrics_token
    if not expected:
        return error_response(
            NotFound("Metrics are not served: set JOBGRAPH_METRICS_TOKEN to turn them on.")
        )
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected.encode()):
        return error_response(
            Unauthenticated("Send the metrics token as 'Authorization: Bearer <token>'."),
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)


class RequestLog:
    """Outermost: a request id for every request (the caller's X-Request-Id if sane), echoed
    in the response, and one log line and metric sample when the response is done."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services = getattr(scope["app"].state, "services", None) if "app" in scope else None
        if services is not None:  # this request's app's caches (caches.py)
            current_caches.set(services.caches)
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = request_headers(scope).get("x-request-id", "")
        # 32 random hex digits, as uuid4().hex gives, without building a UUID.
        request_id = given if _REQUEST_ID.match(given) else secrets.token_hex(16)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        # Echoed in the response (its headers are edited as it starts: SecurityHeaders).
        edits = response_headers(scope)
        edits.replace(b"x-request-id", request_id.encode("latin-1"))
        try:
            await self.app(scope, receive, send)
        finally:
            status = 500 if edits.status is None else edits.status
            self._record(scope, status, time.perf_counter() - started, request_id)

    @staticmethod
    def _record(scope: Scope, status: int, seconds: float, request_id: str) -> None:
        state = state_if_any(scope)
        slug = state.tenant.slug if state is not None else "-"
        operation = (state and state.operation) or "-"
        outcome = (state and state.outcome) or ("ok" if status < 400 else "error")
        if log.isEnabledFor(logging.INFO):
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "tenant": slug,
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "operation": operation,
                    "outcome": outcome,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )
        app = scope.get("app")
        services = getattr(getattr(app, "state", None), "services", None)
        if services is not None and scope["path"] != "/metrics":
            measured = (state and state.measured_operation) or "-"
            services.metrics.served(slug, measured, outcome, seconds)
