"""``make bench``: every benchmark on both engines, as ratios to baselines of the same run.

    uv run python -m bench [--engine embedded|kafka]

Each benchmark also runs alone: ``python -m bench.publish_single`` (``publish_batch``,
``fanout``, ``latency``, ``groups``). Engines run one after the other: embedded (a SQLite
file in a temp DATA_DIR) then kafka (a tansu broker started for the run), each with one
real ``topichub serve`` (one uvicorn worker) that all five benchmarks share, each benchmark
with an account of its own. Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import asyncio
import os
import platform
import sys
import time

from bench import fanout, groups, latency, publish_batch, publish_single
from bench.common import ENGINES, hard_nofile, parse_engines, print_table, raise_nofile, run_all

BENCHMARKS = [
    publish_single.run_engine,
    publish_batch.run_engine,
    fanout.run_engine,
    latency.run_engine,
    groups.run_engine,
]
"""In the order of the table (and of the issue)."""
EXECUTION_ORDER = [
    publish_single.run_engine,
    publish_batch.run_engine,
    latency.run_engine,
    groups.run_engine,
    fanout.run_engine,
]
"""The low-load latency runs before the fan-out, whose 5,000 closing streams keep a
server busy for a while after it (each engine gets a fresh server, so the next engine
starts clean)."""


def main() -> None:
    engines = parse_engines(__doc__ or "topichub benchmarks")
    raise_nofile()
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    try:
        rows = asyncio.run(run_all(engines, BENCHMARKS, EXECUTION_ORDER))
    except KeyboardInterrupt:
        print("interrupted; every server and load process was stopped", file=sys.stderr)
        raise SystemExit(130) from None
    elapsed = time.monotonic() - started
    print_table(
        rows,
        f"topichub benchmarks ({', '.join(e for e in ENGINES if e in engines)}); "
        "ratio = topichub / baseline measured in the same run",
    )
    print(
        f"({elapsed:.0f} s; {os.cpu_count()} CPUs, load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after; Python {platform.python_version()}; "
        f"RLIMIT_NOFILE hard {hard_nofile()})"
    )


if __name__ == "__main__":
    main()
