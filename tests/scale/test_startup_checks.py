"""``topichub serve --workers 2`` refuses, before binding its port, every configuration
in which the workers would not share one state: each embedded engine is named with the
variable that fixes it, and the exit status is non-zero.

Nothing is connected to at this point, so the "present" engines are unreachable
addresses: the refusal does not depend on any service running."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.scale.support import TOPICHUB, server_env
from tests.support.tansu import free_port

NOWHERE_PG = "postgresql+asyncpg://nobody@127.0.0.1:9/none"
NOWHERE_KAFKA = "127.0.0.1:9"
NOWHERE_REDIS = "redis://127.0.0.1:9/0"
NEEDED = {
    "sqlite": "TOPICHUB_DATABASE_URL must point at PostgreSQL",
    "embedded log": "TOPICHUB_KAFKA_BOOTSTRAP_SERVERS must be set",
    "memory limits": "TOPICHUB_REDIS_URL must be set",
}


def serve_two_workers(tmp_path: Path, **engines: str | None) -> subprocess.CompletedProcess[str]:
    env = server_env(data_dir=tmp_path / "data", redis_prefix="th-refused", **engines)  # type: ignore[arg-type]
    env["COLUMNS"] = "200"
    return subprocess.run(
        [TOPICHUB, "serve", "--workers", "2", "--port", str(free_port())],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("missing", "engines"),
    [
        ("sqlite", {"database_url": None, "kafka": NOWHERE_KAFKA, "redis_url": NOWHERE_REDIS}),
        ("embedded log", {"database_url": NOWHERE_PG, "kafka": None, "redis_url": NOWHERE_REDIS}),
        ("memory limits", {"database_url": NOWHERE_PG, "kafka": NOWHERE_KAFKA, "redis_url": None}),
    ],
)
def test_two_workers_refuse_to_start_on_an_embedded_engine(
    tmp_path: Path, missing: str, engines: dict[str, str | None]
) -> None:
    done = serve_two_workers(tmp_path, **engines)
    message = " ".join(done.stderr.split())
    assert done.returncode == 2, done.stderr
    assert "refusing to start: 2 workers need shared engines" in message
    assert NEEDED[missing] in message
    for other, text in NEEDED.items():
        if other != missing:
            assert text not in message
    assert "listening on" not in message
    assert not (tmp_path / "data").exists(), "refused before touching the data directory"


def test_two_workers_with_no_shared_engine_name_all_three_fixes(tmp_path: Path) -> None:
    done = serve_two_workers(tmp_path, database_url=None, kafka=None, redis_url=None)
    message = " ".join(done.stderr.split())
    assert done.returncode == 2, done.stderr
    for text in NEEDED.values():
        assert text in message
