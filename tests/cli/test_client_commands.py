"""``topichub publish`` and ``topichub tail`` against a real server, run as a user runs
them: one-line errors with a hint, documented exit codes, strict JSON, and a stream's
``close`` shown as what it is."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.cli.support import account_with_key, cli_env, run_topichub
from tests.scale.support import TOPICHUB, ServerProcess
from tests.support.tansu import free_port


def test_an_unreachable_server_is_one_line_with_a_hint_and_exit_3(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    for args in (["publish", "events", "1"], ["tail", "events"]):
        done = run_topichub([*args, "--key", "thk_x"], cli_env(TOPICHUB_URL=url), cwd=tmp_path)
        assert done.returncode == 3, done.stderr
        assert done.stderr.strip() == (
            f"cannot reach {url} — is the server running? set --url or TOPICHUB_URL"
        )
        assert "Traceback" not in done.stderr + done.stdout


async def test_the_url_comes_from_topichub_url_then_the_servers_topichub_port(
    server: ServerProcess, tmp_path: Path
) -> None:
    _, key = await account_with_key(server)
    by_url = run_topichub(
        ["publish", "events", '{"n": 1}'],
        cli_env(TOPICHUB_URL=server.url, TOPICHUB_API_KEY=key),
        cwd=tmp_path,
    )
    assert by_url.returncode == 0, by_url.stderr
    assert "stored at partition" in by_url.stderr
    # No URL at all: the local server on the port `topichub serve` was told to use.
    by_port = run_topichub(
        ["publish", "events", '{"n": 2}'],
        cli_env(TOPICHUB_PORT=str(server.port), TOPICHUB_API_KEY=key),
        cwd=tmp_path,
    )
    assert by_port.returncode == 0, by_port.stderr
    # --url wins over both.
    elsewhere = f"http://127.0.0.1:{free_port()}"
    by_flag = run_topichub(
        ["publish", "events", "3", "--url", elsewhere],
        cli_env(TOPICHUB_URL=server.url, TOPICHUB_API_KEY=key),
        cwd=tmp_path,
    )
    assert by_flag.returncode == 3
    assert elsewhere in by_flag.stderr


async def test_publish_refuses_what_is_not_json_and_publishes_nothing(
    server: ServerProcess, tmp_path: Path
) -> None:
    _, key = await account_with_key(server)
    env = cli_env(TOPICHUB_URL=server.url, TOPICHUB_API_KEY=key)
    bad = run_topichub(["publish", "events", "{bad json"], env, cwd=tmp_path)
    assert bad.returncode == 2
    assert "value 1 is not JSON" in bad.stderr
    assert "--raw" in bad.stderr
    piped = run_topichub(["publish", "events"], env, cwd=tmp_path, stdin='{"ok": 1}\nnope\n')
    assert piped.returncode == 2
    assert "line 2 is not JSON" in piped.stderr
    # Nothing of either was stored: the first message of the topic is the text below.
    text = run_topichub(["publish", "events", "--raw", "{bad json"], env, cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert "partition 0 offset 0" in text.stderr
    tailed = await _first_events(server.url, key, "events", 1)
    assert tailed[0]["value"] == "{bad json"


async def test_a_refusal_by_the_server_is_one_line_and_exit_1(
    server: ServerProcess, tmp_path: Path
) -> None:
    env = cli_env(TOPICHUB_URL=server.url, TOPICHUB_API_KEY="thk_not-a-key")
    done = run_topichub(["publish", "events", "1"], env, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("401: ")
    assert "TOPICHUB_API_KEY" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


async def test_tail_pipes_json_lines_and_exits_4_when_the_server_closes_the_stream(
    server: ServerProcess, tmp_path: Path
) -> None:
    account, key = await account_with_key(server)
    async with httpx.AsyncClient(base_url=server.url, headers=account.headers) as client:
        created = await client.post("/api/v1/topics", json={"name": "doomed"})
        assert created.status_code == 201, created.text
        env = cli_env(TOPICHUB_URL=server.url, TOPICHUB_API_KEY=key)
        assert run_topichub(["publish", "doomed", '{"n": 1}'], env, cwd=tmp_path).returncode == 0
        with _tail(["doomed", "--from", "earliest"], env, tmp_path) as tail:
            assert tail.stdout is not None
            first = json.loads(tail.stdout.readline())
            assert first["value"] == {"n": 1}
            assert first["id"]
            deleted = await client.delete("/api/v1/topics/doomed")
            assert deleted.status_code == 204, deleted.text
            out, err = tail.communicate(timeout=30)
    assert json.loads(out.splitlines()[-1]) == {"type": "close", "reason": "topic_deleted"}
    assert tail.returncode == 4
    assert "stream closed by the server: topic_deleted" in err


async def test_ctrl_c_ends_tail_with_status_0(server: ServerProcess, tmp_path: Path) -> None:
    _, key = await account_with_key(server)
    env = cli_env(TOPICHUB_URL=server.url, TOPICHUB_API_KEY=key)
    assert run_topichub(["publish", "events", "7"], env, cwd=tmp_path).returncode == 0
    with _tail(["events", "--from", "earliest"], env, tmp_path) as tail:
        assert tail.stdout is not None
        assert json.loads(tail.stdout.readline())["value"] == 7
        tail.send_signal(signal.SIGINT)
        _, err = tail.communicate(timeout=30)
    assert tail.returncode == 0, err
    assert "Traceback" not in err


@contextlib.contextmanager
def _tail(args: list[str], env: dict[str, str], cwd: Path) -> Iterator[subprocess.Popen[str]]:
    """``topichub tail`` with its output piped (not a terminal: JSON lines)."""
    with subprocess.Popen(
        [TOPICHUB, "tail", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            yield process
        finally:
            process.kill()


async def _first_events(url: str, key: str, topic: str, count: int) -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    async with (
        httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}) as client,
        client.stream("GET", f"/api/v1/topics/{topic}/stream", params={"from": "earliest"}) as r,
    ):
        async for line in r.aiter_lines():
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
                if len(events) == count:
                    break
    return events


async def test_tail_into_a_reader_that_leaves_ends_with_status_0(
    server: ServerProcess, tmp_path: Path
) -> None:
    _, key = await account_with_key(server)
    env = cli_env(TOPICHUB_URL=server.url, TOPICHUB_API_KEY=key)
    assert run_topichub(["publish", "events", "1"], env, cwd=tmp_path).returncode == 0
    with _tail(["events", "--from", "earliest"], env, tmp_path) as tail:
        assert tail.stdout is not None
        assert json.loads(tail.stdout.readline())["value"] == 1
        tail.stdout.close()  # what `topichub tail … | head -1` does after its line
        assert run_topichub(["publish", "events", "2"], env, cwd=tmp_path).returncode == 0
        assert tail.wait(timeout=30) == 0
        assert tail.stderr is not None
        assert "Traceback" not in tail.stderr.read()
