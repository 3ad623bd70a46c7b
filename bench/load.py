"""`make load`: 200 concurrent clients for a set time on a mix of tenants and viewers
(anonymous partner searches on the three demo tenants, public profiles, employers'
candidate searches) against `jobgraph serve --workers 2`, reporting throughput, latency
percentiles and errors per operation, the requests shed with a deliberate 503, and leaked
canaries: demo seekers' contact details in any response (must be zero).

The clients are Debian's wrk (C), one process per operation holding its share of the
connections, all at once; without wrk, a Python client (which is then the bottleneck).

Options: --clients C (200), --seconds S (60), --workers W (2), --only WORD (only the
operations whose name holds WORD, all the clients on them: what one operation costs alone,
its cores used per request). Uses the benchmark's data set.

--restart-postgres: a third of the way in, PostgreSQL is stopped for a few seconds and
started again, while, beside the load, seekers apply to postings one after another (a
refused application is tried again once the database answers, as a client would). The
report then counts, per operation, the requests refused because the database could not
be reached (SERVICE_UNAVAILABLE) apart from other errors, and checks afterwards that every
application acknowledged is in the database."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field

import httpx

from bench.__main__ import ROOT, free_port, prepare, say, wait_until_up
from bench.cpu import measure_cpu
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


@dataclass
class Outcomes:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    shed: int = 0  # deliberate 503s: the service said it was busy
    leaks: int = 0

    def merge(self, other: Outcomes) -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.shed += other.shed
        self.leaks += other.leaks

    def line(self, name: str, seconds: float) -> str:
        ordered = sorted(self.latencies)

        def percentile(share: float) -> float:
            if not ordered:
                return math.nan
            return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

        return (
            f"  {name:28} {len(ordered) / seconds:7.1f} req/s  p50 {percentile(0.5):6.0f} ms  "
            f"p95 {percentile(0.95):6.0f} ms  p99 {percentile(0.99):6.0f} ms  "
            f"errors {self.errors}  shed {self.shed}  leaked canaries {self.leaks}"
        )


# Per wrk thread: what came back; summed by the main state in done() (wrk's Lua API).
_WRK_SCRIPT = """wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
{headers}
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) errors = 0; shed = 0; leaks = 0; away = 0 end
function response(status, headers, body)
  if body:find("cannot reach its database", 1, true) then away = away + 1
  elseif status == 503 then shed = shed + 1
  elseif status ~= 200 or body:find('"errors"', 1, true) then errors = errors + 1 end
  if body:find("%+81%-[89]0%-0000%-%d%d%d%d") or body:find("seeker%d+@")
     or body:find("Last Employer jobboard", 1, true) then leaks = leaks + 1 end
end
function done(summary, latency, requests)
  local e, s, l, a = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    e, s, l = e + t:get("errors"), s + t:get("shed"), l + t:get("leaks")
    a = a + t:get("away")
  end
  local socket = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format("JOBGRAPH %d %d %d %d %d %d %d %d %d\\n", summary.requests,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e + socket, s, l, summary.duration, a))
end
"""


async def load_with_wrk(port: int, mix: dict, clients: int, seconds: float) -> dict[str, str]:
    """One wrk per operation, each with its share of the clients, all at once: each
    operation's report line."""
    share = max(1, clients // len(mix))
    scripts, processes = [], {}
    try:
        for name, (headers, body) in mix.items():
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
                script.write(
                    _WRK_SCRIPT.format(
                        body=json.dumps(json.dumps(body)),
                        headers="\n".join(
                            f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}"
                            for k, v in headers.items()
                        ),
                    )
                )
            scripts.append(script.name)
            processes[name] = await asyncio.create_subprocess_exec(
                "wrk", "-t", "1", "-c", str(share), "-d", f"{seconds:.0f}s",
                "--timeout", "60s", "-s", script.name, f"http://127.0.0.1:{port}/graphql",
                stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
        reports = {
            name: (await process.communicate())[0].decode() for name, process in processes.items()
        }
    finally:
        for name in scripts:
            os.unlink(name)
    lines = {}
    for name, report in reports.items():
        found = re.search(
            r"^JOBGRAPH (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", report, re.M
        )
        if found is None:
            raise SystemExit(f"wrk gave no report for {name}:\n{report}")
        requests, p50, p95, p99, errors, shed, leaks, took, away = map(int, found.groups())
        lines[name] = (
            f"  {name:28} {requests / (took / 1e6):7.1f} req/s  p50 {p50 / 1000:6.0f} ms  "
            f"p95 {p95 / 1000:6.0f} ms  p99 {p99 / 1000:6.0f} ms  "
            f"errors {errors}  shed {shed} ({shed / max(requests, 1):.0%})  "
            f"leaked canaries {leaks}" + (f"  database away {away}" if away else "")
        )
    return lines


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


def shared_counters(workers: int) -> str:
    """Where several processes count the rate limits together (jobgraph serve refuses
    several without it): JOBGRAPH_REDIS_URL, else a Redis on this machine's loopback, else
    none."""
    configured = os.environ.get("JOBGRAPH_REDIS_URL", "")
    if configured or workers == 1:
        return configured
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return ""
    return "redis://127.0.0.1:6379/0"


APPLY = "mutation($j: ID!) { applyToJob(jobId: $j) { id } }"
POSTINGS = "query($q: String) { jobs(search: $q, first: 50) { edges { node { id } } } }"
RESTART_DOWN_S = 3.0  # how long PostgreSQL stays stopped
APPLICANTS = 10


@dataclass
class Applied:
    acknowledged: list[str] = field(default_factory=list)
    refused_while_away: int = 0
    # "already applied" when tried again: committed before its answer was lost, or applied to
    # in an earlier run
    answer_lost: int = 0
    before: int = 0  # applied to in an earlier run
    shed: int = 0  # refused for the service was busy, and tried again
    other_errors: list[str] = field(default_factory=list)


async def restart_postgres(embedded: EmbeddedPostgres, after_s: float, back: asyncio.Event) -> None:
    """Stop PostgreSQL ``after_s`` into the load, start it again RESTART_DOWN_S later."""
    await asyncio.sleep(after_s)
    say(f"  stopping PostgreSQL for {RESTART_DOWN_S:.0f} s")
    await asyncio.to_thread(embedded.force_stop)
    back.clear()
    await asyncio.sleep(RESTART_DOWN_S)
    await asyncio.to_thread(embedded.start)
    say("  PostgreSQL is back")
    back.set()


async def applicants(client: httpx.AsyncClient) -> tuple[list[str], list[dict[str, str]]]:
    """Postings to apply to, and APPLICANTS seekers signed in (their headers): before the
    load, which would shed some of these requests."""
    jobs: list[str] = []
    for word in ("engineer", "sales", "nurse", "driver", "teacher", None):
        found = await client.post(
            "/graphql", headers={"X-Tenant": "jobboard"},
            json={"query": POSTINGS, "variables": {"q": word}},
        )  # fmt: skip
        jobs += [edge["node"]["id"] for edge in found.json()["data"]["jobs"]["edges"]]
    seekers = []
    for number in range(1, APPLICANTS + 1):
        login = await client.post(
            "/graphql", headers={"X-Tenant": "jobboard"},
            json={"query": 'mutation($e: String!, $p: String!) { login(email: $e, password: $p)'
                  " { accessToken } }",
                  "variables": {"e": f"seeker{number}@jobboard.test", "p": DEMO_PASSWORD}},
        )  # fmt: skip
        token = login.json()["data"]["login"]["accessToken"]
        seekers.append({"X-Tenant": "jobboard", "Authorization": f"Bearer {token}"})
    return sorted(set(jobs)), seekers


async def apply_meanwhile(
    client: httpx.AsyncClient,
    jobs: list[str],
    seekers: list[dict[str, str]],
    seconds: float,
    back: asyncio.Event,
    applied: Applied,
) -> None:
    """Each seeker applies to the postings one after another until the time is up; refused
    because the database is away, an application is tried again once it is back; shed
    (the service busy), at once."""
    deadline = time.monotonic() + seconds

    async def seeker(number: int, headers: dict[str, str]) -> None:
        for job in random.sample(jobs, len(jobs)):  # another order each run
            refused = False
            while time.monotonic() < deadline:
                response = await client.post(
                    "/graphql", headers=headers, json={"query": APPLY, "variables": {"j": job}}
                )
                body = response.json()
                errors = body.get("errors")
                if not errors:
                    applied.acknowledged.append(body["data"]["applyToJob"]["id"])
                    break
                if "cannot reach its database" in errors[0]["message"]:
                    applied.refused_while_away += 1
                    refused = True
                    await back.wait()
                    continue
                if errors[0]["extensions"]["code"] == "SERVICE_UNAVAILABLE":  # shed: busy
                    applied.shed += 1
                    continue
                if "already applied" in errors[0]["message"]:
                    if refused:
                        applied.answer_lost += 1
                    else:
                        applied.before += 1
                else:
                    applied.other_errors.append(
                        f"{errors[0]['extensions']['code']}: {errors[0]['message']}"
                    )
                break
            if time.monotonic() >= deadline:
                return

    await asyncio.gather(*(seeker(number, headers) for number, headers in enumerate(seekers)))


def check_applications(embedded: EmbeddedPostgres, applied: Applied) -> None:
    ids = ",".join(f"'{application}'" for application in applied.acknowledged) or "NULL"
    present = int(
        embedded.psql(
            f"SELECT count(*) FROM applications WHERE id::text IN ({ids})", database="jobgraph"
        )
    )
    say(
        f"  applications: {len(applied.acknowledged)} acknowledged, {present} of them in the "
        f"database afterwards; {applied.refused_while_away} refused while the database was "
        f"away and tried again ({applied.answer_lost} then already applied to); "
        f"{applied.shed} shed and tried again; {applied.before} applied to in an earlier run; "
        f"{len(applied.other_errors)} other errors {applied.other_errors[:3]}"
    )
    if present != len(applied.acknowledged) or applied.other_errors:
        raise SystemExit("an acknowledged application is missing, or an unexpected error")


async def read_until_up(output: asyncio.StreamReader, up: asyncio.Event) -> None:
    """`jobgraph serve`'s output: ``up`` set once it says it is up (every worker listening:
    clients that open their connections at once would otherwise all reach the first), the
    rest read and dropped to its end."""
    while line := await output.readline():
        if line.startswith(b"It is up"):
            up.set()
            break
    while await output.read(65536):
        pass


async def run(
    clients: int, seconds: float, workers: int, restart: bool = False, only: str = ""
) -> None:
    embedded = EmbeddedPostgres(PROJECT_ROOT / ".data", name="postgres-bench")
    say(f"[1/3] starting the embedded PostgreSQL in {embedded.pgdata}")
    embedded.start()
    port = free_port()
    server = None
    try:
        say("[2/3] preparing the data set")
        await prepare(embedded.url(), 50_000)
        redis = shared_counters(workers)
        if workers > 1 and not redis:
            say("  no Redis (JOBGRAPH_REDIS_URL, or one on 127.0.0.1:6379): one process")
            workers = 1
        say(f"  jobgraph serve --workers {workers}")
        server = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "jobgraph", "serve", "--no-sync-tenants",
            "--workers", str(workers), "--port", str(port),
            cwd=ROOT,
            env=os.environ | {
                "DATABASE_URL": embedded.url(), "JOBGRAPH_LOG_LEVEL": "warning",
                "JOBGRAPH_REDIS_URL": redis,
            },
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert server.stdout is not None
        up = asyncio.Event()
        reading = asyncio.create_task(read_until_up(server.stdout, up))
        waiting = asyncio.create_task(up.wait())
        await asyncio.wait({reading, waiting}, timeout=180, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if not up.is_set():
            raise SystemExit("jobgraph serve did not say it was up within 3 minutes")
        await wait_until_up(port)
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60
        ) as client:
            token, company = await employer_session(client)
            mix = {
                "search kansai-jobs": (
                    {"X-Tenant": "kansai-jobs"},
                    {"query": SEARCH, "variables": {"q": None}},
                ),
                "search jobboard 'engineer'": (
                    {"X-Tenant": "jobboard"},
                    {"query": SEARCH, "variables": {"q": "engineer"}},
                ),
                "search community '日本語'": (
                    {"X-Tenant": "community"},
                    {"query": SEARCH, "variables": {"q": "日本語"}},
                ),
                "public profiles": ({"X-Tenant": "community"}, {"query": PROFILES}),
                "candidate search": (
                    {"X-Tenant": "jobboard", "Authorization": f"Bearer {token}"},
                    {"query": CANDIDATES, "variables": {"c": company}},
                ),
            }
            mix = {name: operation for name, operation in mix.items() if only in name}
            if not mix:
                raise SystemExit(f"no operation's name holds {only!r}")
            say(f"[3/3] {clients} clients for {seconds:.0f} s on {', '.join(mix)}")
            back, applied = asyncio.Event(), Applied()
            back.set()
            beside = []
            if restart:
                jobs, seekers = await applicants(client)
                beside = [
                    restart_postgres(embedded, seconds / 3, back),
                    apply_meanwhile(client, jobs, seekers, seconds, back, applied),
                ]
            if shutil.which("wrk"):
                loading = asyncio.create_task(load_with_wrk(port, mix, clients, seconds))
                cpu = asyncio.create_task(measure_cpu(server.pid, seconds * 0.1, seconds * 0.8))
                await asyncio.gather(*beside)
                lines = await loading
                for line in lines.values():
                    say(line)
                say((await cpu).line())
                if restart:
                    check_applications(embedded, applied)
                if any("leaked canaries 0" not in line for line in lines.values()):
                    raise SystemExit("personal data leaked: see above")
                return
            if restart:
                raise SystemExit("--restart-postgres needs wrk (Debian: apt-get install wrk)")
            say("  wrk is not installed (Debian: apt-get install wrk): Python clients, which")
            say("  are then the bottleneck; the latencies below include their own queueing")
            await _load_with_python(client, mix, clients, seconds)
    finally:
        if server is not None:
            server.terminate()
            await server.wait()
        embedded.stop()


async def _load_with_python(
    client: httpx.AsyncClient, mix: dict, clients: int, seconds: float
) -> None:
    stats = {name: Outcomes() for name in mix}
    deadline = time.monotonic() + seconds

    async def one(seed: int) -> None:
        rng = random.Random(seed)
        names = sorted(mix)
        while time.monotonic() < deadline:
            name = rng.choice(names)
            headers, body = mix[name]
            outcome = stats[name]
            started = time.perf_counter()
            try:
                response = await client.post("/graphql", headers=headers, json=body)
            except httpx.HTTPError:
                outcome.errors += 1
                continue
            outcome.latencies.append(time.perf_counter() - started)
            if response.status_code == 503:
                outcome.shed += 1
            elif response.status_code != 200 or b'"errors"' in response.content:
                outcome.errors += 1
            if CANARIES.search(response.content):
                outcome.leaks += 1

    started = time.monotonic()
    await asyncio.gather(*(one(seed) for seed in range(clients)))
    took = time.monotonic() - started
    everything = Outcomes()
    for name, outcome in stats.items():
        say(outcome.line(name, took))
        everything.merge(outcome)
    say(everything.line("all", took))
    if everything.leaks:
        raise SystemExit("personal data leaked: see above")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--restart-postgres", action="store_true")
    parser.add_argument("--only", default="", metavar="WORD")
    arguments = parser.parse_args()
    asyncio.run(
        run(
            arguments.clients,
            arguments.seconds,
            arguments.workers,
            arguments.restart_postgres,
            arguments.only,
        )
    )


if __name__ == "__main__":
    main()
