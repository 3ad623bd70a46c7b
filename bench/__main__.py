"""`make bench`: the partner-site search page (50 results with company and tags) through
jobgraph over HTTP, against a baseline that runs the same SQL with asyncpg and writes JSON
with orjson, both measured in the same run with the same client.

Options: --postings N (at least 50,000 by default), --seconds S per server, --concurrency C,
--rounds R (every server measured R times in turn: each ratio's median and range).
The data set lives in the embedded PostgreSQL .data/postgres-bench (or DATABASE_URL's
server, database jobgraph_bench) and is reused by later runs of the same size; another
size has a server of its own (.data/postgres-bench-1000000 for `make bench
BENCH="--postings 1000000"`, which takes a few minutes to load the first time: past the
default size only the postings grow, copied by PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import dataclasses
import functools
import json
import math
import os
import re
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import httpx
from sqlalchemy import text

from bench.cpu import measure_cpu
from bench.servers import FACETS_QUERY, QUERY, TENANT
from jobgraph.db.embedded import EmbeddedPostgres
from jobgraph.db.engine import create_engine, session_factory
from jobgraph.db.migrate import upgrade
from jobgraph.db.urls import DatabaseUrls
from jobgraph.demo import BASE_SIZES, load_demo
from jobgraph.graphql.hooks import tenancy_hooks
from jobgraph.settings import PROJECT_ROOT, Settings
from jobgraph.tenancy.files import load_tenant_dir
from jobgraph.tenancy.registry import TenantRegistry
from jobgraph.tenancy.sync import sync_tenants

ROOT = Path(__file__).resolve().parents[1]
# The site of the expensive-query measurement, which keeps its default cost budget for it
# (elsewhere the bench raises it: the load generator is one address for many visitors).
BUDGETED = "jobboard"


def say(message: str) -> None:
    print(message, flush=True)


def bench_tenants(budgeted: str | None = None) -> list:
    """The demo tenants, but for the per-address limits on callers without a key, of
    requests and of cost points (the load generator is one address standing in for a
    partner site's many visitors; the site ``budgeted`` keeps its cost budget), and with
    public reads over GET cacheable for a minute."""
    configs = []
    for config in load_tenant_dir(PROJECT_ROOT / "tenants"):
        spent = {"cost_budget": 10**7, "cost_restore_per_second": 10**6}
        api = config.policy.api.model_copy(
            update={
                "anonymous_requests_per_minute": 10**9,
                **(spent if config.slug != budgeted else {}),
                "allow_get_queries": True,
                "public_cache_max_age_s": 60,
            }
        )
        policy = config.policy.model_copy(update={"api": api})
        configs.append(config.model_copy(update={"policy": policy}))
    return configs


async def sync_bench_tenants(admin_url: str, configs: list) -> None:
    settings = Settings()
    engine = create_engine(DatabaseUrls.from_admin(admin_url, settings).app, settings)
    try:
        async with session_factory(engine)() as session:
            await sync_tenants(session, configs, hooks=tenancy_hooks())
    finally:
        await engine.dispose()


async def prepare(admin_url: str, postings: int) -> None:
    # Loading a large data set runs longer statements and transactions than a request may.
    settings = Settings(statement_timeout_ms=3_600_000)
    urls = DatabaseUrls.from_admin(admin_url, settings)
    say("  migrating")
    await asyncio.to_thread(upgrade, urls.admin, settings.app_db_password)
    await sync_bench_tenants(admin_url, bench_tenants())
    engine = create_engine(urls.app, settings)
    sessions = session_factory(engine)
    async with sessions() as session:
        registry = await TenantRegistry.load(session)
        from sqlalchemy import func, select

        from jobgraph.db.engine import bind_pool
        from jobgraph.jobs.models import JobPosting

        counted = 0
        for pool in registry.pools():
            async with sessions() as pool_session:
                bind_pool(pool_session, pool)
                counted += await pool_session.scalar(select(func.count(JobPosting.id))) or 0
    per_scale = sum(size.postings for size in BASE_SIZES.values())
    # Past the default size only the postings grow (copies of the default set's, each
    # published at another time): the demo's seekers, companies and applications at a
    # million postings would take hours to load and measure nothing more here.
    scale = math.ceil(min(postings, DEFAULT_POSTINGS) / per_scale)
    wanted = max(postings, scale * per_scale)
    if counted >= wanted:
        say(f"  reusing the data set ({counted:,} postings)")
    else:
        say(f"  loading {scale * per_scale:,} postings (scale {scale}); this takes a while")
        await load_demo(
            sessions,
            registry,
            settings.secret_key,
            scale=scale,
            reset=True,
            progress=lambda line: say(f"    {line}"),
        )
        if wanted > scale * per_scale:
            await copy_postings(urls.admin, settings, wanted)
    await engine.dispose()
    # Fresh statistics, as autovacuum would have them on a database that has been running.
    admin = create_engine(urls.admin, settings, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.exec_driver_sql("VACUUM ANALYZE")
    await admin.dispose()


DEFAULT_POSTINGS = 50_000


async def copy_postings(admin_url: str, settings: Settings, wanted: int) -> None:
    """Copies of every pool's postings until the pools hold ``wanted`` together, each copy
    published (and confirmed, and expiring) some hours earlier than its original, in
    batches of one copy of the set."""
    from jobgraph.jobs.models import JobPosting

    generated = {"id", "seq", "created_at", "updated_at", "expiry_announced_at"}
    generated |= {"salary_yearly_min", "salary_yearly_max"}
    generated |= {"search_title", "search_body", "search_grams"}  # a trigger fills them
    columns = [c.name for c in JobPosting.__table__.columns if c.name not in generated]
    shifted = {
        name: f"{name} - make_interval(hours => :copy * 7)"
        for name in ("published_at", "expires_at", "confirmed_at")
    }
    listed = ", ".join(columns)
    chosen = ", ".join(shifted.get(name, name) for name in columns)
    admin = create_engine(admin_url, settings, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            counted = await connection.execute(text("SELECT count(*), max(seq) FROM job_postings"))
            have, last = counted.one()
            copies = math.ceil(wanted / have) - 1
            for copy in range(1, copies + 1):
                await connection.execute(
                    text(
                        f"INSERT INTO job_postings ({listed}) SELECT {chosen} FROM job_postings "
                        "WHERE seq <= :last"
                    ),
                    {"copy": copy, "last": last},
                )
                say(f"    copies: {copy} of {copies} ({have * (copy + 1):,} postings)")
    finally:
        await admin.dispose()


def bench_server(postings: int) -> str:
    """The embedded server of a data set's size: one per size, so that a run of another
    size neither reloads nor reuses the default's."""
    return "postgres-bench" if postings == DEFAULT_POSTINGS else f"postgres-bench-{postings}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def wait_until_up(port: int) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                await client.get(f"http://127.0.0.1:{port}/healthz")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise RuntimeError(f"the server on port {port} did not start")


async def until_indexed(port: int, query: str) -> None:
    """Until the server counts whole pages from its facet index, as a service up for a
    while does: the first such page starts its build in the background (its time is
    reported, once the build is done, as the index's entry at /metrics)."""
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"X-Tenant": TENANT}, timeout=60
    ) as client:
        started = time.monotonic()
        await client.post("/graphql", json={"query": query})
        while time.monotonic() - started < 300:
            metrics = await client.get("/metrics", headers={"Authorization": "Bearer bench"})
            if re.search(
                r'^jobgraph_cache_entries\{cache="facet_indexes"\} [1-9]', metrics.text, re.M
            ):
                waited = time.monotonic() - started
                held = re.search(
                    r'^jobgraph_cache_bytes\{cache="facet_indexes"\} (\S+)', metrics.text, re.M
                )
                megabytes = float(held[1]) / 2**20 if held else math.nan
                say(
                    f"  the facet index was ready {waited:.1f} s after the first whole page "
                    f"and holds {megabytes:.1f} MB"
                )
                return
            await asyncio.sleep(0.1)
    raise RuntimeError("no facet index was built within five minutes")


async def one_at_a_time(port: int, query: str, requests: int = 50) -> float:
    """The median time of ``requests`` requests sent one after another (nearly all of it
    the server's: the client is on the same machine), in milliseconds."""
    took = []
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"X-Tenant": TENANT}, timeout=60
    ) as client:
        for _ in range(requests):
            started = time.perf_counter()
            answer = await client.post("/graphql", json={"query": query})
            took.append((time.perf_counter() - started) * 1000)
            assert "errors" not in answer.json(), answer.text[:300]
    return statistics.median(took)


async def load(port: int, seconds: float, concurrency: int, query: str = QUERY) -> dict:
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits, headers={"X-Tenant": TENANT}
    ) as client:

        async def one_client() -> None:
            nonlocal errors
            while time.monotonic() < deadline:
                started = time.perf_counter()
                response = await client.post("/graphql", json={"query": query})
                elapsed = time.perf_counter() - started
                if response.status_code != 200 or b'"errors"' in response.content[:20]:
                    errors += 1
                else:
                    latencies.append(elapsed)

        for _ in range(3):  # warm up
            await client.post("/graphql", json={"query": query})
        started = time.monotonic()
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        took = time.monotonic() - started
    latencies.sort()

    def percentile(share: float) -> float:
        return latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / took,
        "p50": percentile(0.50),
        "p95": percentile(0.95),
        "p99": percentile(0.99),
        "mean": statistics.fmean(latencies) * 1000 if latencies else math.nan,
    }


_WRK_POST = """wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Tenant"] = "{tenant}"
"""
# The same query over GET, as a partner page's visitors send it where it is cacheable.
_WRK_GET = """wrk.path = {path}
wrk.headers["X-Tenant"] = "{tenant}"
"""
# Each request from a visitor of its own, as a proxy in front reports it.
_WRK_VISITORS = """request = function()
  wrk.headers["X-Forwarded-For"] = "10." .. math.random(0, 255) .. "." ..
    math.random(0, 255) .. "." .. math.random(1, 254)
  return wrk.format()
end
"""
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _milliseconds(text: str) -> float:
    number, unit = _found(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def _percentile(percentiles: dict[str, str], which: str, report: str) -> str:
    if which not in percentiles:
        raise RuntimeError(f"wrk's report has no {which}th percentile:\n{report}")
    return percentiles[which]


def _found(pattern: str, report: str) -> re.Match[str]:
    """What wrk's report says of ``pattern``; a clear error where it says nothing of it."""
    found = re.search(pattern, report)
    if found is None:
        raise RuntimeError(f"wrk's report has no {pattern!r}:\n{report}")
    return found


async def load_with_wrk(
    port: int,
    seconds: float,
    concurrency: int,
    method: str,
    query: str = QUERY,
    tenant: str = TENANT,
    visitors: bool = False,
) -> dict:
    """Debian's wrk (C, one event loop per thread), so that the client is not the
    bottleneck: its report's throughput, percentiles and non-2xx responses. ``visitors``:
    each request from an address of its own (X-Forwarded-For)."""
    path = "/graphql?" + urlencode({"query": query})
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        # The answer is right before it is fast.
        if method == "GET":
            answer = await client.get(path, headers={"X-Tenant": tenant})
        else:
            answer = await client.post(
                "/graphql", json={"query": query}, headers={"X-Tenant": tenant}
            )
        assert answer.status_code == 200 and "errors" not in answer.json(), answer.text[:300]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        if method == "GET":
            script.write(_WRK_GET.format(path=json.dumps(path), tenant=tenant))
        else:
            body = json.dumps(json.dumps({"query": query}))  # a Lua string literal
            script.write(_WRK_POST.format(body=body, tenant=tenant))
        if visitors:
            script.write(_WRK_VISITORS)
    try:
        process = await asyncio.create_subprocess_exec(
            "wrk", "-t", "2", "-c", str(concurrency), "-d", f"{seconds:.0f}s", "--latency",
            "-s", script.name, f"http://127.0.0.1:{port}/graphql",
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        report = (await process.communicate())[0].decode()
    finally:
        os.unlink(script.name)
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", report, re.MULTILINE))
    requests = int(_found(r"(\d+) requests in", report)[1])
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    errors = int(failed[1]) if failed else 0
    socket_errors = re.search(r"Socket errors: (.*)", report)
    return {
        "requests": requests,
        "errors": errors + (1 if socket_errors else 0),
        "rps": float(_found(r"Requests/sec:\s+([\d.]+)", report)[1]),
        "p50": _milliseconds(_percentile(percentiles, "50", report)),
        "p95": math.nan,  # wrk reports 50, 75, 90 and 99
        "p99": _milliseconds(_percentile(percentiles, "99", report)),
        "mean": math.nan,
    }


async def measure(kind: str, admin_url: str, seconds: float, concurrency: int, client: str) -> dict:
    """``kind``: baseline; app (POST, executed each time, search results not kept); kept
    (POST, executed, the page's search results kept); cached (the same query over GET,
    answered from the cache of public reads); facets (a whole search page: the bench's
    page with its total, drill-down facets and a salary histogram, executed each time)."""
    port = free_port()
    server_kind = "baseline" if kind == "baseline" else "app"
    ttl = "0" if kind in ("app", "facets") else "30"
    query = FACETS_QUERY if kind == "facets" else QUERY
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.servers", server_kind, admin_url, str(port), cwd=ROOT,
        env=os.environ | {"JOBGRAPH_SEARCH_RESULTS_TTL_S": ttl, "JOBGRAPH_METRICS_TOKEN": "bench"},
    )  # fmt: skip
    try:
        await wait_until_up(port)
        if kind == "facets":
            await until_indexed(port, query)
            alone = await one_at_a_time(port, query)
            say(f"  one whole page alone (no other request): median {alone:.1f} ms")
        if client == "wrk":
            method = "GET" if kind == "cached" else "POST"
            cpu = asyncio.create_task(measure_cpu(server.pid, seconds * 0.1, seconds * 0.8))
            found = await load_with_wrk(port, seconds, concurrency, method, query)
            return found | {"cpu": await cpu}
        if kind == "cached":  # the Python client measures itself more than a cache
            return {"rps": math.nan, "p50": math.nan, "p99": math.nan, "errors": 0}
        return await load(port, seconds, concurrency, query)
    finally:
        server.terminate()
        await server.wait()


def attack_document() -> str:
    """The alias-and-fragment attack (issue 26): one public fragment spread over 140
    aliases, each document new by a random comment, so that no cache helps. Every site
    refuses it for its aliases; what it may cost is the work before that refusal."""
    aliased = " ".join(f"a{i}: jobs(first: 1) {{ ...F }}" for i in range(140))
    return (
        f"# {os.urandom(8).hex()}\n{{ {aliased} }} "
        "fragment F on JobConnection { edges { node { id title company { name } } } }"
    )


def resident_megabytes(pid: int) -> float:
    """A process's resident memory (Linux's /proc)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(_found(r"VmRSS:\s+(\d+) kB", status)[1]) / 1024


def cold_whole_page() -> str:
    """The whole search page for a search word no one asked for before: nothing kept helps."""
    return FACETS_QUERY.replace(
        "jobs(first: 50,", f'jobs(first: 50, search: "{os.urandom(3).hex()}",'
    )


@dataclasses.dataclass(frozen=True)
class Attack:
    """Attackers beside a normal client: what each sends, how its answers are told apart,
    and where (a site; the server's settings)."""

    name: str
    tenant: str
    document: Callable[[], str]
    outcome: Callable[[httpx.Response], str]
    # Each attacker and each of the normal client's requests from an address of its own
    # (X-Forwarded-For, the bench's server trusting the loopback as its proxy).
    own_addresses: bool = False
    # Whether its answers may be "throttled": the normal client is then measured again
    # once every attacker has spent what its bucket held when the attack began.
    budgeted: bool = False


ALIASES = Attack(
    "the alias-and-fragment attack",
    TENANT,
    attack_document,
    lambda answer: "refused" if "QUERY_TOO_COMPLEX" in answer.text else "answered",
)
EXPENSIVE = Attack(
    "cold whole pages (a new search word each)",
    BUDGETED,
    cold_whole_page,
    lambda answer: "throttled" if "THROTTLED" in answer.text else "answered",
    own_addresses=True,
    budgeted=True,
)
# What two clients cost a normal one anyway, asking the cheapest query there is as fast
# as they are answered: the attacks above are measured against it, so that what is left
# is what choosing expensive queries gains an attacker.
CHEAPEST = Attack(
    "the cheapest query ({ __typename })",
    BUDGETED,
    lambda: "{ __typename }",
    lambda answer: "answered" if answer.status_code == 200 else "refused",
    own_addresses=True,
)


# How long attackers may take to spend their cost budgets before the bench says they were
# never throttled (each spends its full bucket within a few seconds).
SPENT_WITHIN_S = 60


async def measure_under_attack(
    admin_url: str, seconds: float, concurrency: int, attackers: int, attack: Attack
) -> dict:
    """A normal client's page (wrk, kept results) alone, then while ``attackers`` clients
    send ``attack`` as fast as they are answered: both p99s, what the attackers got, and
    how much the worker's memory grew."""
    port = free_port()
    env = {"JOBGRAPH_SEARCH_RESULTS_TTL_S": "30"}
    if attack.own_addresses:
        env["JOBGRAPH_TRUSTED_PROXIES"] = "127.0.0.1"
        await sync_bench_tenants(admin_url, bench_tenants(budgeted=attack.tenant))
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.servers", "app", admin_url, str(port), cwd=ROOT,
        env=os.environ | env,
    )  # fmt: skip
    normal = functools.partial(
        load_with_wrk, port, seconds, concurrency, "POST",
        tenant=attack.tenant, visitors=attack.own_addresses,
    )  # fmt: skip
    try:
        await wait_until_up(port)
        alone = await normal()
        before = resident_megabytes(server.pid)
        outcomes: collections.Counter[str] = collections.Counter()
        stop = asyncio.Event()

        async def attacker(number: int) -> None:
            headers = {"X-Tenant": attack.tenant}
            if attack.own_addresses:
                headers["X-Forwarded-For"] = f"198.51.100.{number + 1}"
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60
            ) as client:
                while not stop.is_set():
                    answer = await client.post("/graphql", json={"query": attack.document()})
                    outcomes[attack.outcome(answer)] += 1
                    if attack.outcome(answer) == "throttled":
                        spent[number].set()

        spent = [asyncio.Event() for _ in range(attackers)]
        attacking = [asyncio.create_task(attacker(number)) for number in range(attackers)]
        attacked = await normal()
        found = {"alone": alone, "attacked": attacked, "outcomes": dict(outcomes)}
        if attack.budgeted:  # and again once every attacker has spent its bucket
            try:
                async with asyncio.timeout(SPENT_WITHIN_S):
                    await asyncio.gather(*(event.wait() for event in spent))
            except TimeoutError:
                say(
                    f"  the attackers were not throttled within {SPENT_WITHIN_S} s: the "
                    f"site {attack.tenant!r} does not keep its cost budget (was its policy "
                    "changed while the bench ran?); the sustained attack is not measured"
                )
            else:
                found["sustained"] = await normal()
        stop.set()
        await asyncio.gather(*attacking)
        return found | {"grew": resident_megabytes(server.pid) - before}
    finally:
        server.terminate()
        await server.wait()
        if attack.own_addresses:
            await sync_bench_tenants(admin_url, bench_tenants())


async def profile(admin_url: str, requests: int, query: Callable[[], str]) -> None:
    """A bench query in process (the ASGI app, no sockets), under cProfile: time per
    request, then the functions that took the most time of their own."""
    import cProfile
    import pstats

    from jobgraph.app import create_app

    # Executed in full: the page's search results are not kept between requests.
    settings = Settings(
        db_pool_size=4,
        log_level="warning",
        search_results_ttl_s=float(os.environ.get("BENCH_PROFILE_KEPT_S", "0")),
    )
    app = create_app(settings, DatabaseUrls.from_admin(admin_url, settings), work=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers={"X-Tenant": TENANT}
        ) as client:

            async def send() -> None:
                answer = await client.post("/graphql", json={"query": query()})
                assert "errors" not in answer.json(), answer.text[:300]

            for _ in range(20):  # warm the caches and the pool
                await send()
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            for _ in range(requests):
                await send()
            profiler.disable()
            if os.environ.get("BENCH_PROFILE_DUMP"):
                profiler.dump_stats(os.environ["BENCH_PROFILE_DUMP"])
            took = time.perf_counter() - started
    say(f"  {took / requests * 1000:.2f} ms per request in process (profiled), {requests} requests")
    pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "tottime")).print_stats(
        int(os.environ.get("BENCH_PROFILE_ROWS", "25"))
    )


async def run(arguments: argparse.Namespace) -> None:
    embedded = None
    if os.environ.get("DATABASE_URL"):
        from sqlalchemy.engine import make_url

        admin_url = (
            make_url(os.environ["DATABASE_URL"])
            .set(database="jobgraph_bench")
            .render_as_string(hide_password=False)
        )
    else:
        embedded = EmbeddedPostgres(PROJECT_ROOT / ".data", name=bench_server(arguments.postings))
        say(f"[1/3] starting the embedded PostgreSQL in {embedded.pgdata}")
        embedded.start()
        admin_url = embedded.url()
    try:
        say("[2/3] preparing the data set")
        await prepare(admin_url, arguments.postings)
        if arguments.profile:
            page = arguments.profile_page
            say(f"[3/3] profiling {arguments.profile} requests of the {page} page")
            pages = {"plain": lambda: QUERY, "whole": lambda: FACETS_QUERY, "cold": cold_whole_page}
            await profile(admin_url, arguments.profile, pages[page])
            return
        client = "wrk" if shutil.which("wrk") else "python"
        if client == "python":
            say(
                "  warning: wrk is not installed (Debian: apt-get install wrk; `make bench` "
                "installs it as root); measuring with the Python client, which is slower than "
                "the baseline and so flatters jobgraph's ratio"
            )
        say(
            f"[3/3] measuring {arguments.seconds:.0f} s per server with {client}, "
            f"{arguments.concurrency} connections, tenant {TENANT}"
        )
        rounds: list[dict[str, dict]] = []
        for number in range(1, 0 if arguments.attacks_only else arguments.rounds + 1):
            if arguments.rounds > 1:
                say(f"  round {number} of {arguments.rounds}")
            results = {}
            for kind in ("baseline", "app", "kept", "cached", "facets"):
                results[kind] = await measure(
                    kind, admin_url, arguments.seconds, arguments.concurrency, client
                )
                r = results[kind]
                say(
                    f"  {kind:8} {r['rps']:8.1f} req/s  p50 {r['p50']:6.1f} ms  p99 "
                    f"{r['p99']:6.1f} ms  errors {r['errors']}"
                )
                if "cpu" in r:
                    say(f"  {r['cpu'].line()}")
            rounds.append(results)
        for kind, what in (
            ()
            if arguments.attacks_only
            else (
                ("app", "executed"),
                ("kept", "executed, search results kept"),
                ("cached", "cached public read"),
                ("facets", "executed, with total, facets and salary histogram"),
            )
        ):
            say(
                f"jobgraph ({what}) serves {_ratio(rounds, kind, 'baseline', 'rps')} the "
                f"baseline's throughput (p50 latency {_ratio(rounds, kind, 'baseline', 'p50')})"
            )
        if rounds:
            say(
                f"the whole search page (total, facets, histogram) serves "
                f"{_ratio(rounds, 'facets', 'app', 'rps')} the plain executed page's throughput"
            )
        slowed: dict[str, float] = {}
        for attack in (CHEAPEST, ALIASES, EXPENSIVE) if client == "wrk" else ():
            attackers = 2
            found = await measure_under_attack(
                admin_url, arguments.seconds, arguments.concurrency, attackers, attack
            )
            alone, attacked = found["alone"], found["attacked"]
            slowed[attack.name] = attacked["p99"] / alone["p99"]
            got = ", ".join(
                f"{number} {what}" for what, number in sorted(found["outcomes"].items())
            )
            against = (
                f", {slowed[attack.name] / slowed[CHEAPEST.name]:.2f}x its p99 beside "
                "clients asking the cheapest query"
                if attack is not CHEAPEST
                else ""
            )
            say(
                f"under {attack.name} ({attackers} clients: {got}), a normal client's p99 is "
                f"{slowed[attack.name]:.2f}x its p99 alone{against} ({alone['p99']:.1f} -> "
                f"{attacked['p99']:.1f} ms; throughput {attacked['rps'] / alone['rps']:.2f}x); "
                f"the worker's memory grew {found['grew']:.0f} MB"
            )
            if "sustained" in found:
                sustained = found["sustained"]
                say(
                    f"  once each attacker had spent its full bucket (the attack sustained), "
                    f"{sustained['p99'] / alone['p99']:.2f}x its p99 alone, "
                    f"{sustained['p99'] / alone['p99'] / slowed[CHEAPEST.name]:.2f}x beside "
                    f"clients asking the cheapest query ({sustained['p99']:.1f} ms; throughput "
                    f"{sustained['rps'] / alone['rps']:.2f}x)"
                )
    finally:
        if embedded is not None:
            embedded.stop()


def _ratio(rounds: list[dict[str, dict]], kind: str, against: str, measure: str) -> str:
    """``kind``'s ``measure`` over ``against``'s, each round against its own (a busy
    machine moves both between rounds): the median of the rounds, and their range."""
    ratios = sorted(round_[kind][measure] / round_[against][measure] for round_ in rounds)
    if len(ratios) == 1:
        return f"{ratios[0]:.2f}x"
    spread = f"{ratios[0]:.2f}-{ratios[-1]:.2f}"
    return f"{statistics.median(ratios):.2f}x (median of {len(ratios)} rounds, {spread})"


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--postings", type=int, default=DEFAULT_POSTINGS)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure every server this many times, one after another, and report each "
        "ratio's median and range over the rounds (a shared machine's speed drifts)",
    )
    parser.add_argument(
        "--attacks-only",
        action="store_true",
        help="measure only a normal client beside attackers (the servers' ratios skipped)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="instead of measuring, profile N requests in process and print the top functions "
        "(BENCH_PROFILE_DUMP=FILE also saves the statistics for pstats)",
    )
    parser.add_argument(
        "--profile-page",
        choices=("plain", "whole", "cold"),
        default="plain",
        help="what --profile requests: the plain page, the whole page with its total, "
        "facets and histogram, or the whole page for a new search word each time (a new "
        "document: nothing kept helps)",
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
