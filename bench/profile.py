"""One benchmark with its topichub server under py-spy: where does the server's time go?

    uv run python -m bench.profile NAME [--engine embedded|kafka] [--rate HZ] [--out DIR]
    make profile NAME=publish_single ENGINE=embedded

NAME is a benchmark of ``bench`` (publish_single, publish_batch, fanout, latency). The
benchmark runs as usual (its table is printed); meanwhile ``py-spy record`` samples the
server process (``--nonblocking``: the server is never paused, so the figures are those
of a normal run, slightly lowered by the sampler's own CPU on a shared machine); only
the thread holding the GIL is sampled unless ``--all-threads``. Written
to DIR (default ``var/profile``): ``NAME-ENGINE.svg`` (a flame graph: open it in a
browser) and ``NAME-ENGINE.txt`` (collapsed stacks), and the top functions by self time
(time spent in the function itself, not its callees) are printed to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import os
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bench import fanout, latency, publish_batch, publish_single
from bench.common import ROOT, Bench, Engine, Server, log, print_table, raise_nofile

BENCHMARKS = {
    "publish_single": publish_single.run_engine,
    "publish_batch": publish_batch.run_engine,
    "fanout": fanout.run_engine,
    "latency": latency.run_engine,
}
TOP = 25
_LINE = re.compile(r":\d+\)$")


def _py_spy() -> str:
    found = Path(sys.executable).parent / "py-spy"
    if found.exists():
        return str(found)
    which = shutil.which("py-spy")
    if which is None:
        raise SystemExit("py-spy is not installed (it is a dev dependency: run `make install`)")
    return which


class ProfiledBench(Bench):
    """A ``Bench`` whose topichub server gets a py-spy sampler attached once it is up."""

    def __init__(self, raw: Path, rate: int, *, gil_only: bool) -> None:
        super().__init__()
        self._raw = raw
        self._rate = rate
        self._gil_only = gil_only
        self.sampler: subprocess.Popen[bytes] | None = None

    async def topichub(self, name: str) -> tuple[Engine, Server]:
        eng, server = await super().topichub(name)
        if self.sampler is None:
            argv = [
                _py_spy(),
                "record",
                "--pid",
                str(server.pid),
                "--format",
                "raw",
                "--rate",
                str(self._rate),
                "--nonblocking",
                "--output",
                str(self._raw),
            ]
            if self._gil_only:
                argv.append("--gil")
            log(f"py-spy sampling {server.name} (pid {server.pid}) at {self._rate} Hz")
            self.sampler = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
        return eng, server

    def stop_sampler(self) -> None:
        sampler, self.sampler = self.sampler, None
        if sampler is None:
            return
        # SIGINT makes py-spy stop sampling and write its output.
        sampler.send_signal(signal.SIGINT)
        try:
            sampler.wait(timeout=30)
        except subprocess.TimeoutExpired:
            sampler.kill()


async def _run(name: str, engine: str, raw: Path, rate: int, gil_only: bool) -> list[Any]:
    async with ProfiledBench(raw, rate, gil_only=gil_only) as bench:
        try:
            return await BENCHMARKS[name](bench, engine)
        finally:
            bench.stop_sampler()


def read_stacks(raw: Path) -> Counter[tuple[str, ...]]:
    """py-spy's collapsed stacks: ``outer;...;leaf count`` per line."""
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in raw.read_text().splitlines():
        frames, _, count = line.rpartition(" ")
        if frames and count.isdigit():
            stacks[tuple(frames.split(";"))] += int(count)
    return stacks


def top_self(stacks: Counter[tuple[str, ...]], n: int = TOP) -> list[tuple[str, int]]:
    """Functions by samples in which they were the leaf (the running frame)."""
    leaves: Counter[str] = Counter()
    for frames, count in stacks.items():
        # "func (path/file.py:123)" -> "func (path/file.py)": a function, not a line.
        leaves[_LINE.sub(")", frames[-1])] += count
    return leaves.most_common(n)


def flame_svg(stacks: Counter[tuple[str, ...]], title: str) -> str:
    """A minimal flame graph (root at the bottom, widths proportional to samples, the
    function in each box's tooltip), viewable in any browser."""
    total = sum(stacks.values()) or 1
    width, row = 1600.0, 16
    tree: dict[str, Any] = {"n": 0, "c": {}}
    for frames, count in stacks.items():
        node = tree
        node["n"] += count
        for frame in frames:
            node = node["c"].setdefault(frame, {"n": 0, "c": {}})
            node["n"] += count
    boxes: list[str] = []
    depth_max = 0

    def walk(node: dict[str, Any], x: float, depth: int) -> None:
        nonlocal depth_max
        depth_max = max(depth_max, depth)
        for frame, child in sorted(node["c"].items()):
            w = child["n"] / total * width
            if w >= 0.3:
                boxes.append((frame, x, w, depth, child["n"]))  # type: ignore[arg-type]
                walk(child, x, depth + 1)
            x += w

    walk(tree, 0.0, 0)
    height = (depth_max + 3) * row
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height}" '
        'font-family="monospace" font-size="11">',
        f'<text x="4" y="12">{html.escape(title)} ({total} samples)</text>',
    ]
    for frame, x, w, depth, n in boxes:  # type: ignore[misc]
        y = height - (depth + 1) * row
        hue = 20 + (hash(frame) % 40)
        label = html.escape(frame)
        short = label if len(frame) * 6.5 < w else ""
        out.append(
            f"<g><title>{label} ({n} samples, {100 * n / total:.1f}%)</title>"
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 1}" '
            f'fill="hsl({hue},90%,60%)"/>'
            f'<text x="{x + 2:.1f}" y="{y + 11}">{short[: int(w / 6.5)]}</text></g>'
        )
    out.append("</svg>")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("name", choices=sorted(BENCHMARKS))
    parser.add_argument("--engine", choices=["embedded", "kafka"], default="embedded")
    parser.add_argument("--rate", type=int, default=250, help="samples per second")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "profile")
    parser.add_argument(
        "--all-threads",
        action="store_true",
        help="sample every thread, not only the one holding the GIL (shows the database "
        "driver's worker threads, but also threads merely waiting, which py-spy cannot "
        "always tell from working)",
    )
    args = parser.parse_args()
    raise_nofile()
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"{args.name}-{args.engine}"
    raw = args.out / f"{stem}.txt"
    load = os.getloadavg()[0]
    rows = asyncio.run(_run(args.name, args.engine, raw, args.rate, not args.all_threads))
    print_table(rows, f"{args.name} [{args.engine}] under py-spy (load average {load:.1f} before)")
    if not raw.exists():
        raise SystemExit("py-spy wrote nothing (is ptrace allowed here?)")
    stacks = read_stacks(raw)
    svg = args.out / f"{stem}.svg"
    svg.write_text(flame_svg(stacks, f"topichub server: {args.name} [{args.engine}]"))
    total = sum(stacks.values()) or 1
    print(f"\ntop {TOP} functions by self time ({total} samples; flame graph: {svg})")
    for frame, count in top_self(stacks):
        print(f"{100 * count / total:6.2f}%  {count:7d}  {frame}")


if __name__ == "__main__":
    main()
