"""`python -m bench.index_build [--postings N]`: what building a pool's facet index costs
the process that serves while it builds: how long it takes, the longest the event loop
could not serve a request meanwhile, and the process's peak memory. Uses the benchmark's
data set of that size (`make bench` loads it)."""

from __future__ import annotations

import argparse
import asyncio
import resource
import time

from bench.__main__ import DEFAULT_POSTINGS, bench_server, say
from jobgraph.db.embedded import EmbeddedPostgres
from jobgraph.db.engine import bind_pool, create_engine, session_factory
from jobgraph.db.urls import DatabaseUrls
from jobgraph.jobs.facet_index import build
from jobgraph.settings import PROJECT_ROOT, Settings
from jobgraph.tenancy.registry import TenantRegistry


async def longest_stall(stop: asyncio.Event) -> float:
    """The longest time between two turns of the event loop until ``stop``, in seconds."""
    longest, last = 0.0, time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.001)
        now = time.perf_counter()
        longest, last = max(longest, now - last - 0.001), now
    return longest


async def measure(admin_url: str) -> None:
    settings = Settings(statement_timeout_ms=600_000)
    engine = create_engine(DatabaseUrls.from_admin(admin_url, settings).app, settings)
    sessions = session_factory(engine)
    try:
        async with sessions() as session:
            pools = (await TenantRegistry.load(session)).pools()
        for pool in pools:
            stop = asyncio.Event()
            stalls = asyncio.create_task(longest_stall(stop))
            started = time.perf_counter()
            async with sessions() as session:
                bind_pool(session, pool)
                await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
                index = await build(session, pool)
            took = time.perf_counter() - started
            stop.set()
            stalled = await stalls
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            size = "-"
            if index is not None:
                size = f"{len(index.postings):,} postings, {index.nbytes / 2**20:.1f} MB"
            say(
                f"  pool {pool}: {size}; built in {took * 1000:.0f} ms, the event loop "
                f"stalled {stalled * 1000:.0f} ms at most; peak memory so far {peak:.0f} MB"
            )
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postings", type=int, default=DEFAULT_POSTINGS)
    arguments = parser.parse_args()
    embedded = EmbeddedPostgres(PROJECT_ROOT / ".data", name=bench_server(arguments.postings))
    if not embedded.pgdata.exists():
        raise SystemExit(f"no data set of {arguments.postings:,} postings: run `make bench` first")
    embedded.start()
    try:
        asyncio.run(measure(embedded.url()))
    finally:
        embedded.stop()


if __name__ == "__main__":
    main()
