"""Where a machine's processors went during a measurement (Linux's /proc): jobgraph's
processes, PostgreSQL's, the load generator's and the rest, in cores, so that a report
says which of them was the limit (two processes cannot gain where the cores are full)."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[str, int, float]]:
    """Each process: its name, its parent and the CPU seconds it used so far."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(entry.name)] = (name, int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS)
    return found


def _busy_seconds() -> float:
    """The seconds the machine's processors were busy so far, all cores together."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / TICKS


def _group(pid: int, processes: dict[int, tuple[str, int, float]], server: int) -> str:
    name = processes[pid][0]
    if name.startswith("postgres"):
        return "PostgreSQL"
    if name == "wrk":
        return "wrk"
    ancestor = pid
    while ancestor in processes and ancestor > 1:
        if ancestor == server:
            return "jobgraph"
        ancestor = processes[ancestor][1]
    return "other"


@dataclass
class CpuShare:
    cores: dict[str, float]
    busy: float  # cores busy in all
    available: int

    def line(self) -> str:
        parts = ", ".join(f"{name} {used:.2f}" for name, used in self.cores.items())
        return (
            f"  cores used (of {self.available}, the middle of the run): {parts}; "
            f"idle {max(0.0, self.available - self.busy):.2f}"
        )


async def measure_cpu(server: int, start_after: float, seconds: float) -> CpuShare:
    """The cores each group used over ``seconds``, from ``start_after`` seconds from now
    (processes alive at both ends; a load generator's: while it runs)."""
    await asyncio.sleep(start_after)
    before, busy_before, started = _processes(), _busy_seconds(), asyncio.get_running_loop().time()
    await asyncio.sleep(seconds)
    after, busy_after = _processes(), _busy_seconds()
    took = asyncio.get_running_loop().time() - started
    cores = {"jobgraph": 0.0, "PostgreSQL": 0.0, "wrk": 0.0, "other": 0.0}
    for pid, (_name, _parent, used) in after.items():
        earlier = before.get(pid)
        if earlier is None or earlier[0] != after[pid][0]:
            continue
        cores[_group(pid, after, server)] += (used - earlier[2]) / took
    return CpuShare(cores, (busy_after - busy_before) / took, os.cpu_count() or 1)
