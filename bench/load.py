"""`make load`: 200 concurrent clients for a set time on a mix of tenants and viewers
(anonymous partner searches on the three demo tenants, public profiles, employers'
candidate searches), reporting throughput, latency percentiles, errors, and leaked
canaries: demo seekers' contact details in any response (must be zero).

Options: --clients C (200), --seconds S (30). Uses the benchmark's data set."""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sys
import time

import httpx

from bench.__main__ import ROOT, free_port, prepare, say, wait_until_up
from jobgraph.db.embedded import EmbeddedPostgres
from jobgraph.demo import DEMO_PASSWORD
from jobgraph.settings import PROJECT_ROOT

CANARIES = re.compile(rb"\+81-[89]0-0000-\d{4}|seeker\d+@|Last Employer jobboard")
SEARCH = (
    "query Search($q: String) { jobs(search: $q, first: 20) { totalCount edges { node "
    "{ id title company { name } tags } } facets { category { value count } } } }"
)
PROFILES = "{ publicProfiles(first: 20) { fullName languages { language level } skills } }"
CANDIDATES = (
    "query($c: ID!) { searchCandidates(companyId: $c, first: 20) { candidateId "
    "resume { skills careerLevel workHistory { employer title } } } }"
)


async def employer_session(client: httpx.AsyncClient) -> tuple[str, str]:
    login = await client.post(
        "/graphql",
        headers={"X-Tenant": "jobboard"},
        json={
            "query": 'mutation($p: String!) { login(email: "employer@jobboard.test", '
            "password: $p) { accessToken } }",
            "variables": {"p": DEMO_PASSWORD},
        },
    )
    token = login.json()["data"]["login"]["accessToken"]
    me = await client.post(
        "/graphql",
        headers={"X-Tenant": "jobboard", "Authorization": f"Bearer {token}"},
        json={"query": "{ me { memberships { companyId } } }"},
    )
    return token, me.json()["data"]["me"]["memberships"][0]["companyId"]


async def run(clients: int, seconds: float) -> None:
    embedded = EmbeddedPostgres(PROJECT_ROOT / ".data", name="postgres-bench")
    say(f"[1/3] starting the embedded PostgreSQL in {embedded.pgdata}")
    embedded.start()
    port = free_port()
    server = None
    try:
        say("[2/3] preparing the data set")
        await prepare(embedded.url(), 50_000)
        server = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.servers", "app", embedded.url(), str(port), cwd=ROOT
        )
        await wait_until_up(port)
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60
        ) as client:
            token, company = await employer_session(client)
            mix = [
                ({"X-Tenant": "kansai-jobs"}, {"query": SEARCH, "variables": {"q": None}}),
                ({"X-Tenant": "jobboard"}, {"query": SEARCH, "variables": {"q": "engineer"}}),
                ({"X-Tenant": "community"}, {"query": SEARCH, "variables": {"q": "日本語"}}),
                ({"X-Tenant": "community"}, {"query": PROFILES}),
                (
                    {"X-Tenant": "jobboard", "Authorization": f"Bearer {token}"},
                    {"query": CANDIDATES, "variables": {"c": company}},
                ),
            ]
            latencies: list[float] = []
            errors = leaks = 0
            deadline = time.monotonic() + seconds
            say(f"[3/3] {clients} clients for {seconds:.0f} s on a mix of tenants and viewers")

            async def one(seed: int) -> None:
                nonlocal errors, leaks
                rng = random.Random(seed)
                while time.monotonic() < deadline:
                    headers, body = rng.choice(mix)
                    started = time.perf_counter()
                    try:
                        response = await client.post("/graphql", headers=headers, json=body)
                    except httpx.HTTPError:
                        errors += 1
                        continue
                    latencies.append(time.perf_counter() - started)
                    if response.status_code != 200 or b'"errors"' in response.content:
                        errors += 1
                    if CANARIES.search(response.content):
                        leaks += 1

            started = time.monotonic()
            await asyncio.gather(*(one(seed) for seed in range(clients)))
            took = time.monotonic() - started
        latencies.sort()

        def percentile(share: float) -> float:
            return latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1000

        say(
            f"requests {len(latencies)}  throughput {len(latencies) / took:.1f} req/s  "
            f"p50 {percentile(0.5):.0f} ms  p95 {percentile(0.95):.0f} ms  "
            f"p99 {percentile(0.99):.0f} ms  errors {errors}  leaked canaries {leaks}"
        )
        if leaks:
            raise SystemExit("personal data leaked: see above")
    finally:
        if server is not None:
            server.terminate()
            await server.wait()
        embedded.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    arguments = parser.parse_args()
    asyncio.run(run(arguments.clients, arguments.seconds))


if __name__ == "__main__":
    main()
