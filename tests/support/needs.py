"""Tests that need a piece of infrastructure besides PostgreSQL (Redis, PgBouncer, a copy of
the embedded test server, a language's runtime) say so with ``@pytest.mark.needs("…")`` and
skip through ``skip_for_want_of``: the summary then lists, by need, each test skipped for
want of it. A skip that names a need the test is not marked with fails instead (the marks
stay true), and where JOBGRAPH_TEST_REDIS_URL says the machine has Redis, a test skipped
for want of Redis fails the session. The Redis tests of every session on the machine take
turns."""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any, NoReturn

import pytest

_NEEDS = re.compile(r"needs ([\w-]+): ")

# The machine's Redis is shared by every test session on this machine (another `make test`
# beside this one, in this checkout or another), and its tests empty their databases and
# count the demo's keys, which every session's demo data shares: each such test runs alone,
# holding a lock file named after the Redis, from before its fixtures until after them.
_REDIS_LOCK = Path(tempfile.gettempdir()) / (
    "jobgraph-tests-redis-"
    + hashlib.sha256(os.environ.get("JOBGRAPH_TEST_REDIS_URL", "").encode()).hexdigest()[:12]
    + ".lock"
)
_HELD = pytest.StashKey[Any]()


def _needs(item: pytest.Item) -> set[str]:
    return {str(mark.args[0]) for mark in item.iter_markers("needs")}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if "redis" in _needs(item):
        lock = _REDIS_LOCK.open("a")
        fcntl.flock(lock, fcntl.LOCK_EX)  # waits while another session's Redis test runs
        item.stash[_HELD] = lock


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    try:
        return (yield)
    finally:
        lock = item.stash.get(_HELD, None)
        if lock is not None:
            fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()
            del item.stash[_HELD]


def skip_for_want_of(need: str, why: str) -> NoReturn:
    pytest.skip(f"needs {need}: {why}")


def _skip_reason(report: Any) -> str:
    longrepr = report.longrepr
    return str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Any:
    report = yield
    marked = sorted(_needs(item))
    report.user_properties.append(("needs", marked))
    if report.skipped:
        named = _NEEDS.search(_skip_reason(report))
        if named and named[1] not in marked:
            report.outcome = "failed"
            report.longrepr = (
                f"{item.nodeid} was skipped for want of {named[1]} without saying so: "
                f'mark it @pytest.mark.needs("{named[1]}")'
            )
    return report


def _skipped_by_need(reporter: Any) -> dict[str, list[str]]:
    by_need: dict[str, list[str]] = defaultdict(list)
    for report in reporter.stats.get("skipped", []):
        named = _NEEDS.search(_skip_reason(report))
        if named:
            by_need[named[1]].append(report.nodeid)
    return by_need


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    by_need = _skipped_by_need(terminalreporter)
    if not by_need:
        return
    terminalreporter.section("skipped for want of")
    for need, tests in sorted(by_need.items()):
        terminalreporter.line(f"{need} ({len(tests)}): " + ", ".join(tests))
    if "redis" in by_need and "JOBGRAPH_TEST_REDIS_URL" in os.environ:
        terminalreporter.line("JOBGRAPH_TEST_REDIS_URL is set: no Redis test may skip", red=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if (
        reporter is not None
        and "JOBGRAPH_TEST_REDIS_URL" in os.environ
        and _skipped_by_need(reporter).get("redis")
    ):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
