"""`python -m bench.machine [--page plain|whole|kept|empty|profiles|candidates] [--requests N]`:
how many machine instructions one request of a bench page costs the app's process, counted by
valgrind's cachegrind (Debian: apt-get install valgrind), in process as `bench.opcodes`
sends it but under uvloop, as a server runs. Where `bench.opcodes` counts Python
instructions only, this counts everything the process does for a request: the
interpreter, the driver's decoding, orjson, allocation (not PostgreSQL, another process).
Two runs, of a few requests and of N more, are subtracted, so the process's start is not
counted; repeated, the figure moves by about half a percent, where times on a shared
machine drift by a tenth. About a minute a run (the app runs some fifteen times slower
under valgrind). Uses the benchmark's data set (``make bench`` loads it)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

from bench.__main__ import say
from bench.opcodes import WARM_UP, on_bench_data, page_app, page_parser, page_request
from jobgraph.app import tune_collector

FEW = 20


async def _serve(admin_url: str, page: str, requests: int) -> None:
    app = page_app(admin_url, page)
    async with app.router.lifespan_context(app):
        tune_collector()
        send_one = await page_request(app, page)
        for _ in range(WARM_UP + requests):
            await send_one()


def _counted(admin_url: str, page: str, requests: int) -> int:
    """The instructions of a whole run of ``requests`` requests after the warm-up."""
    found = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
         sys.executable, "-m", "bench.machine", "--run", admin_url, page, str(requests)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    refs = re.search(r"I\s+refs:\s+([\d,]+)", found.stderr)
    if refs is None:
        raise RuntimeError(f"valgrind said no instruction count:\n{found.stderr[-2000:]}")
    return int(refs[1].replace(",", ""))


def main() -> None:
    if sys.argv[1:2] == ["--run"]:  # the counted process, under valgrind
        import uvloop

        admin_url, page, requests = sys.argv[2], sys.argv[3], int(sys.argv[4])
        uvloop.run(_serve(admin_url, page, requests))
        return
    parser = page_parser("python -m bench.machine", __doc__)
    parser.add_argument("--requests", type=int, default=200, metavar="N")
    arguments = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind).")

    def measure(url: str) -> None:
        say(f"  counting {FEW} and {FEW + arguments.requests} requests under valgrind")
        few = _counted(url, arguments.page, FEW)
        more = _counted(url, arguments.page, FEW + arguments.requests)
        each = (more - few) / arguments.requests
        say(f"  {arguments.page} page: {each:,.0f} machine instructions a request")

    on_bench_data(measure)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")  # the same dictionaries on every run
    main()
