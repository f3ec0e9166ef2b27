"""Generate the sync client (``client.py``) from the async one (``aio.py``), as httpcore
does: one implementation to maintain. ``python clients/python/unasync.py`` rewrites it;
``--check`` fails when it is stale (run by the test suite)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent / "src" / "topichub_client"
SOURCE = HERE / "aio.py"
TARGET = HERE / "client.py"

REPLACEMENTS = [
    (
        r'^"""The asyncio client\..*?"""',
        '"""The sync client, generated from ``aio.py`` by ``clients/python/unasync.py``: '
        'edit\nthat file, not this one."""',
    ),
    (
        r"^import asyncio\nimport contextlib\nimport os\n",
        "import contextlib\nimport os\nimport time\n",
    ),
    (r"AsyncGenerator\[(\w+), None\]", r"Generator[\1, None, None]"),
    (r"AsyncGenerator", "Generator"),
    (r"AsyncIterator", "Iterator"),
    (r"AsyncClient", "Client"),
    (r"AsyncBaseTransport", "BaseTransport"),
    (r"websockets\.asyncio\.client", "websockets.sync.client"),
    (r"async def __aenter__", "def __enter__"),
    (r"async def __aexit__", "def __exit__"),
    (r"async def aclose", "def close"),
    (r"\.aclose\(\)", ".close()"),
    (r"contextlib\.aclosing", "contextlib.closing"),
    (r"asyncio\.sleep", "time.sleep"),
    (r"aiter_lines", "iter_lines"),
    (r"\.aread\(\)", ".read()"),
    (r"async with ", "with "),
    (r"async for ", "for "),
    (r"async def ", "def "),
    (r"await ", ""),
    (r"for asyncio", "(synchronous)"),
]


def _ruff(*args: str, text: str) -> str:
    return subprocess.run(  # noqa: S603 - our own ruff on our own source
        [sys.executable, "-m", "ruff", *args, "--stdin-filename", str(TARGET), "-"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def generate() -> str:
    text = SOURCE.read_text()
    for pattern, replacement in REPLACEMENTS:
        text = re.sub(pattern, replacement, text, flags=re.MULTILINE | re.DOTALL)
    # Renamed imports fall out of order and shortened lines may join: the repo's ruff
    # settles both, so the output is what `ruff format` would leave.
    text = _ruff("check", "--fix", "--select", "I", "--exit-zero", "--quiet", text=text)
    return _ruff("format", text=text)


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(0 if TARGET.read_text() == generate() else f"{TARGET} is stale: run {__file__}")
    TARGET.write_text(generate())
