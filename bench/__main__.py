"""`make bench`: the partner-site search page (50 results with company and tags) through
jobgraph over HTTP, against a baseline that runs the same SQL with asyncpg and writes JSON
with orjson, both measured in the same run with the same client.

Options: --postings N (at least 50,000 by default), --seconds S per server, --concurrency C.
The data set lives in the embedded PostgreSQL .data/postgres-bench (or DATABASE_URL's
server, database jobgraph_bench) and is reused by later runs of the same size.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import socket
import statistics
import sys
import time
from pathlib import Path

import httpx

from bench.servers import QUERY, TENANT
from jobgraph.db.embedded import EmbeddedPostgres
from jobgraph.db.engine import create_engine, session_factory
from jobgraph.db.migrate import upgrade
from jobgraph.db.urls import DatabaseUrls
from jobgraph.demo import BASE_SIZES, load_demo
from jobgraph.settings import PROJECT_ROOT, Settings
from jobgraph.tenancy.files import load_tenant_dir
from jobgraph.tenancy.registry import TenantRegistry
from jobgraph.tenancy.sync import sync_tenants

ROOT = Path(__file__).resolve().parents[1]


def say(message: str) -> None:
    print(message, flush=True)


def bench_tenants() -> list:
    """The demo tenants, but for the per-address limit on callers without a key: the load
    generator is one address standing in for a partner site's many visitors."""
    configs = []
    for config in load_tenant_dir(PROJECT_ROOT / "tenants"):
        api = config.policy.api.model_copy(update={"anonymous_requests_per_minute": 10**9})
        policy = config.policy.model_copy(update={"api": api})
        configs.append(config.model_copy(update={"policy": policy}))
    return configs


async def prepare(admin_url: str, postings: int) -> None:
    settings = Settings()
    urls = DatabaseUrls.from_admin(admin_url, settings)
    say("  migrating")
    await asyncio.to_thread(upgrade, urls.admin, settings.app_db_password)
    engine = create_engine(urls.app, settings)
    sessions = session_factory(engine)
    async with sessions() as session:
        await sync_tenants(session, bench_tenants())
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
    scale = math.ceil(postings / per_scale)
    if counted >= scale * per_scale:
        say(f"  reusing the data set ({counted:,} postings)")
    else:
        say(f"  loading {scale * per_scale:,} postings (scale {scale}); this takes a while")
        await load_demo(
            sessions, registry, scale=scale, reset=True, progress=lambda line: say(f"    {line}")
        )
    await engine.dispose()
    # Fresh statistics, as autovacuum would have them on a database that has been running.
    admin = create_engine(urls.admin, settings, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.exec_driver_sql("VACUUM ANALYZE")
    await admin.dispose()


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


async def load(port: int, seconds: float, concurrency: int) -> dict:
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
                response = await client.post("/graphql", json={"query": QUERY})
                elapsed = time.perf_counter() - started
                if response.status_code != 200 or b'"errors"' in response.content[:20]:
                    errors += 1
                else:
                    latencies.append(elapsed)

        for _ in range(3):  # warm up
            await client.post("/graphql", json={"query": QUERY})
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


async def measure(kind: str, admin_url: str, seconds: float, concurrency: int) -> dict:
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.servers", kind, admin_url, str(port), cwd=ROOT
    )
    try:
        await wait_until_up(port)
        return await load(port, seconds, concurrency)
    finally:
        server.terminate()
        await server.wait()


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
        embedded = EmbeddedPostgres(PROJECT_ROOT / ".data", name="postgres-bench")
        say(f"[1/3] starting the embedded PostgreSQL in {embedded.pgdata}")
        embedded.start()
        admin_url = embedded.url()
    try:
        say("[2/3] preparing the data set")
        await prepare(admin_url, arguments.postings)
        say(
            f"[3/3] measuring {arguments.seconds:.0f} s per server, "
            f"{arguments.concurrency} concurrent clients, tenant {TENANT}"
        )
        results = {}
        for kind in ("baseline", "app"):
            results[kind] = await measure(kind, admin_url, arguments.seconds, arguments.concurrency)
            r = results[kind]
            say(
                f"  {kind:8} {r['rps']:8.1f} req/s  p50 {r['p50']:6.1f} ms  p95 "
                f"{r['p95']:6.1f} ms  p99 {r['p99']:6.1f} ms  errors {r['errors']}"
            )
        ratio = results["app"]["rps"] / results["baseline"]["rps"]
        say(
            f"jobgraph serves {ratio:.2f}x the baseline's throughput "
            f"(p50 latency {results['app']['p50'] / results['baseline']['p50']:.2f}x)"
        )
    finally:
        if embedded is not None:
            embedded.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--postings", type=int, default=50_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
