"""``deploy/compose.yaml`` checked without Docker (which does not run here): it is loaded as
YAML and its structure, images, dependencies, environment names (against ``Settings``)
and the proxy's streaming directives are asserted. Nothing here starts a container."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.scale.support import SETTINGS_ENV
from topichub.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KAFKA_NODES = ("kafka-1", "kafka-2", "kafka-3")
TOPICHUB_SERVICES = ("migrate", "topichub")
NON_TOPICHUB_ENV = {"FORWARDED_ALLOW_IPS"}
"""Read by uvicorn, not by ``Settings``: which proxies may set X-Forwarded-For."""


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = compose["services"]
    return found


SAMPLE_SECRET = secrets.token_urlsafe(48)


def interpolate(value: str) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}`` with sample values."""

    def one(match: re.Match[str]) -> str:
        name, operator, rest = match.group(1), match.group(2), match.group(3)
        if operator == ":-":
            return rest or ""
        return {"TOPICHUB_JWT_SECRET": SAMPLE_SECRET}.get(name, "sample")

    return re.sub(r"\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}", one, value)


def nginx_directives(text: str) -> list[list[str]]:
    """Every directive of an nginx configuration as its list of words."""
    text = re.sub(r"#[^\n]*", "", text)
    directives = []
    for chunk in re.split(r"[;{}]", text):
        words = re.findall(r"'[^']*'|\S+", chunk)
        if words:
            directives.append(words)
    return directives


def seconds(value: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = re.fullmatch(r"(\d+)(ms|s|m|h|d)?", value).groups()  # type: ignore[union-attr]
    return int(number) * units[unit or "s"]


def test_compose_has_kafka_postgres_redis_migration_replicas_and_a_proxy(
    services: dict[str, Any],
) -> None:
    assert set(services) == {*KAFKA_NODES, "postgres", "redis", *TOPICHUB_SERVICES, "proxy"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert services["proxy"]["image"].startswith("nginx:")
    images = {services[name]["image"] for name in TOPICHUB_SERVICES}
    assert len(images) == 1, "migrate runs the same image as the replicas"
    for name in TOPICHUB_SERVICES:
        build = services[name]["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).resolve().is_file()
    assert services["topichub"]["deploy"]["replicas"] >= 2
    assert services["migrate"]["command"] == ["topichub", "migrate"]
    assert services["migrate"]["restart"] == "no"
    assert services["topichub"]["command"] == ["topichub", "serve"]
    published = [name for name, service in services.items() if service.get("ports")]
    assert published == ["proxy"], "only the proxy is reachable from outside"


def test_kafka_runs_in_kraft_mode_on_three_nodes_with_replication(
    services: dict[str, Any], compose: dict[str, Any]
) -> None:
    assert "zookeeper" not in yaml.safe_dump(compose).lower()
    cluster_ids = set()
    for number, name in enumerate(KAFKA_NODES, start=1):
        service = services[name]
        env = service["environment"]
        assert re.fullmatch(r"apache/kafka:3\.\d+\.\d+", service["image"])
        assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
        voters = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")
        assert voters == [f"{i}@{node}:9093" for i, node in enumerate(KAFKA_NODES, start=1)]
        assert env["KAFKA_NODE_ID"] == str(number)
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{name}:9092"
        assert env["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data"
        assert service["volumes"] == [f"{name}:/var/lib/kafka/data"]
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
        assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "3"
        assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
        assert "kafka-broker-api-versions.sh" in service["healthcheck"]["test"][1]
        cluster_ids.add(env["CLUSTER_ID"])
    assert len(cluster_ids) == 1


def test_topichub_environment_names_are_settings_fields(services: dict[str, Any]) -> None:
    for name in TOPICHUB_SERVICES:
        env = services[name]["environment"]
        unknown = {k for k in env if k.startswith("TOPICHUB_")} - SETTINGS_ENV
        assert not unknown, f"{name}: not topichub settings: {sorted(unknown)}"
        others = {k for k in env if not k.startswith("TOPICHUB_")}
        assert others <= NON_TOPICHUB_ENV, f"{name}: unexpected variables {others}"


def test_topichub_environment_passes_the_scale_out_check(
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replicas' environment, interpolated with sample secrets, is a valid production
    ``Settings`` with several workers on PostgreSQL, Kafka and Redis."""
    env = services["topichub"]["environment"]
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, interpolate(str(value)))
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.env.value == "production"
    assert settings.workers >= 2
    settings.check_scale_out()
    assert settings.engines_summary() == {
        "database": "postgresql",
        "event_log": "kafka",
        "limits": "redis",
    }
    assert settings.migrate_on_start is False, "only the migrate service migrates"
    assert settings.kafka_replication_factor <= len(KAFKA_NODES)
    assert settings.kafka_bootstrap_servers == ",".join(f"{n}:9092" for n in KAFKA_NODES)
    assert urlsplit(settings.resolved_database_url).hostname == "postgres"
    assert urlsplit(str(settings.redis_url)).hostname == "redis"
    assert settings.host == "0.0.0.0"
    assert env == services["migrate"]["environment"] | {"FORWARDED_ALLOW_IPS": "*"}


def test_replicas_start_after_migration_and_healthy_dependencies(
    services: dict[str, Any],
) -> None:
    depends = services["topichub"]["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    for name in ("postgres", "redis", *KAFKA_NODES):
        assert depends[name]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["proxy"]["depends_on"]["topichub"]["condition"] == "service_healthy"
    for service in services.values():
        for dependency, rule in service.get("depends_on", {}).items():
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], dependency
    port = services["topichub"]["environment"]["TOPICHUB_PORT"]
    assert f"http://127.0.0.1:{port}/ready" in " ".join(services["topichub"]["healthcheck"]["test"])


def test_proxy_passes_sse_unbuffered_and_upgrades_websockets(services: dict[str, Any]) -> None:
    [mount] = services["proxy"]["volumes"]
    source, target, _mode = mount.split(":")
    assert target == "/etc/nginx/nginx.conf"
    directives = nginx_directives((DEPLOY / source).read_text())

    def values(name: str) -> list[list[str]]:
        return [d[1:] for d in directives if d[0] == name]

    assert ["$http_upgrade", "$connection_upgrade"] in values("map")
    assert values("proxy_http_version") == [["1.1"]]
    headers = {h[0]: h[1] for h in values("proxy_set_header")}
    assert headers["Upgrade"] == "$http_upgrade"
    assert headers["Connection"] == "$connection_upgrade"
    assert headers["Host"] == "$http_host", "Origin checks need the port too"
    assert headers["X-Forwarded-For"] == "$remote_addr"
    assert values("proxy_buffering") == [["off"]]
    heartbeat = Settings.model_fields["stream_heartbeat_s"].default
    [[read_timeout]] = values("proxy_read_timeout")
    assert seconds(read_timeout) >= 4 * heartbeat
    [[body]] = values("client_max_body_size")
    assert int(body.rstrip("m")) * 1024 * 1024 >= Settings.model_fields["max_body_bytes"].default
    port = services["topichub"]["environment"]["TOPICHUB_PORT"]
    assert [f"topichub:{port}", "resolve"] in values("server")
    assert values("proxy_pass") == [["http://topichub"]]
    assert all("non_idempotent" not in v for v in values("proxy_next_upstream"))


def test_every_compose_variable_is_in_the_env_example() -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    example = (DEPLOY / "env.example").read_text()
    documented = set(re.findall(r"^([A-Z0-9_]+)=", example, re.MULTILINE))
    assert used - {"TOPICHUB_IMAGE"} <= documented


def test_deploy_docs_say_the_compose_file_was_not_started_here() -> None:
    docs = " ".join((ROOT / "docs" / "deploy.md").read_text().split())
    assert "was not started here" in docs
    assert "not started here" in (DEPLOY / "compose.yaml").read_text().lower()
