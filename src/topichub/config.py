"""Settings: one class, every field overridable with a ``TOPICHUB_`` environment variable."""

from __future__ import annotations

import math
import secrets
import sys
from collections import Counter
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_BYTES = 32
WEAK_SECRETS = frozenset(
    {
        "secret",
        "changeme",
        "change-me",
        "your-secret-key-change-this-in-production",
        "your-super-secret-key-change-this-in-production-environment",
        "your-secret-key-here",
    }
)
VITE_DEV_ORIGINS = ("http://localhost:5173", "http://127.0.0.1:5173")
"""The console's (seed 004's frontend's) Vite dev server: allowed by default in development."""


class Environment(StrEnum):
    development = "development"
    production = "production"


class ConfigError(Exception):
    """A configuration that cannot be run; the message says what to change."""


class Settings(BaseSettings):
    """Every field is the environment variable ``TOPICHUB_<NAME>``; its docstring is what
    the README's settings table says (``topichub config --markdown`` writes that table)."""

    model_config = SettingsConfigDict(
        env_prefix="TOPICHUB_", env_file=".env", extra="ignore", use_attribute_docstrings=True
    )

    env: Environment = Environment.development
    """`production` refuses a missing or weak JWT secret, demo data and open Dapr routes."""
    host: str = "127.0.0.1"
    """Where `topichub serve` listens."""
    port: int = Field(default=8000, ge=1, le=65535)
    """The port `topichub serve` listens on."""
    workers: int = Field(default=1, ge=1, le=64)
    """Server processes; more than one needs PostgreSQL, Kafka and Redis."""
    data_dir: Path = Path("./var")
    """The SQLite file and the generated development JWT secret."""
    console_dir: Path | None = None
    """A built web console to serve at `/`; unset: the package's, else `console/dist`."""
    database_url: str | None = None
    """e.g. `postgresql+asyncpg://user@host/db`; unset: SQLite in `DATA_DIR`."""
    kafka_bootstrap_servers: str | None = None
    """Any Kafka-protocol cluster; unset: the embedded event log in the database."""
    kafka_idempotence: bool = False
    """aiokafka's idempotent producer (some Kafka-compatible brokers refuse it)."""
    kafka_replication_factor: int = Field(default=1, ge=1)
    """Replicas of each topic topichub creates on Kafka."""
    kafka_session_timeout_ms: int = Field(default=10_000, ge=100)
    """Consumer-group session timeout of the built-in consumers."""
    kafka_heartbeat_interval_ms: int = Field(default=3_000, ge=50)
    """Consumer-group heartbeat interval of the built-in consumers."""
    redis_url: str | None = None
    """Shared rate limits, quotas and stream slots; unset: in-process (one process)."""
    redis_key_prefix: str = Field(default="topichub", pattern=r"^[A-Za-z0-9_.:\-]{1,64}$")
    """Prefix of every Redis key, so deployments can share one Redis."""
    jwt_secret: SecretStr | None = None
    """At least 32 random bytes; unset in development: generated once into `DATA_DIR`."""
    access_token_ttl_s: int = Field(default=15 * 60, ge=30, le=24 * 3600)
    """Lifetime of an access token, in seconds."""
    refresh_token_ttl_s: int = Field(default=7 * 24 * 3600, ge=300)
    """Lifetime of a refresh token, in seconds."""
    refresh_reuse_grace_s: int = Field(default=10, ge=0, le=120)
    """A rotated refresh token replayed within this many seconds (a client's retry) is
    not taken as theft."""
    admin_email: str | None = None
    """With `ADMIN_PASSWORD`: create this platform admin at start. An existing non-admin
    account with that email is never promoted (`topichub admin promote --email …` takes
    it over)."""
    admin_password: SecretStr | None = None
    """The bootstrap platform admin's password."""
    demo: bool = False
    """Load seed 001's demo users (admin/admin123, …); refused in production."""
    cors_origins: list[str] = Field(default_factory=list)
    """Browser origins allowed by CORS and on WebSocket upgrades (a JSON list). Unset: the
    Vite dev server's origins in development, none in production; `[]` closes
    development too."""
    dapr_app_token: SecretStr | None = None
    """Dapr's `APP_API_TOKEN`: the Dapr routes then require it in `dapr-api-token`.
    Unset, they are open in development and refused in production."""
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    """Request body limit (413 beyond)."""
    auth_cache_ttl_s: float = Field(default=0.5, ge=0, le=1)
    """How long a process may answer "who is this credential, what is the tenant's plan,
    which topic is this name" from memory. It bounds how late another process sees a
    revocation or a change (this process sees its own writes at once); at most 1 s, as
    RELIABILITY.md asks; 0 turns the caches off."""
    topic_metrics_max_topics: int = Field(default=100, ge=0, le=10_000)
    """Topics with their own series in `/metrics` (`topichub_topic_messages_total`,
    `topichub_topic_bytes_total`): the first ones a process sees; the rest add up under
    `topic="other"`, so thousands of topics cannot explode the number of series."""
    # Plan defaults (seed 000 quotas and stream limit, seed 003 rate limits).
    rate_limit_enabled: bool = True
    """Per-tenant request rate limits on or off."""
    rate_per_minute: int | None = Field(default=1_000, ge=0)
    """Requests per tenant and minute."""
    rate_per_hour: int | None = Field(default=50_000, ge=0)
    """Requests per tenant and hour."""
    rate_per_day: int | None = Field(default=1_000_000, ge=0)
    """Requests per tenant and day."""
    quota_user_messages_per_day: int | None = Field(default=10_000, ge=0)
    """Messages per user and UTC day, in each direction."""
    quota_user_bytes_per_day: int | None = Field(default=100 * 1024 * 1024, ge=0)
    """Bytes per user and UTC day, in each direction."""
    quota_cluster_messages_in_per_day: int | None = Field(default=200_000, ge=0)
    """Messages in per UTC day for the whole cluster (the panic brake)."""
    quota_cluster_bytes_in_per_day: int | None = Field(default=2 * 1024**3, ge=0)
    """Bytes in per UTC day for the whole cluster."""
    quota_tenant_share_of_cluster: float = Field(default=0.05, gt=0, le=1)
    """No tenant (without its own tenant quota) takes more of the cluster brake than this."""
    quota_free_share_of_cluster: float = Field(default=0.5, gt=0, le=1)
    """All free-plan tenants together take no more of the cluster brake than this."""
    header_timeout_s: float = Field(default=10.0, gt=0, le=300)
    """How long `topichub serve` waits for a request's headers (slowloris bound)."""
    allowed_hosts: list[str] = Field(default_factory=lambda: ["*"])
    """Host names the server answers to (`Host` header; `*.example.com` allowed);
    others get 400. Set it in production: links and redirects never trust `Host`."""
    metrics_token: SecretStr | None = None
    """Bearer token `/metrics` requires; unset, it is open in development and off in
    production."""
    signup_per_address_per_hour: int | None = Field(default=10, ge=0)
    """Sign-ups per client address and hour."""
    signup_per_hour: int | None = Field(default=300, ge=0)
    """Sign-ups from everyone together; bounds how many fresh tenants appear."""
    chat_invitation_ttl_days: float = Field(default=7.0, gt=0, le=365)
    """Days a chat invitation (an added member from outside the group admin's tenant)
    can be accepted."""
    chat_invitations_per_user_per_hour: int | None = Field(default=30, ge=0)
    """Chat invitations one user can send per hour (unset: no limit); beyond it, 429."""
    max_streams_per_user: int = Field(default=2, ge=0)
    """Open streams (SSE and WebSocket) per user at once."""
    max_topics_per_project: int = Field(default=100, ge=1)
    """Topics a user can create in a project (the apps' topics do not count)."""
    max_partitions: int = Field(default=32, ge=1, le=1024)
    """Partitions a topic can have."""
    # Publishing and streaming.
    max_message_bytes: int = Field(default=64 * 1024, ge=16)
    """Largest message value (413 naming its index beyond)."""
    max_batch_messages: int = Field(default=1_000, ge=1)
    """Messages in one publish request."""
    publish_timeout_s: float = Field(default=10.0, gt=0)
    """How long a publish waits for the log to confirm before answering 503 (outcome
    unknown)."""
    stream_heartbeat_s: float = Field(default=15.0, gt=0)
    """Seconds between heartbeats on an idle stream."""
    stream_buffer: int = Field(default=1_000, ge=1)
    """Events a slow stream may fall behind before it is closed (4008)."""
    stream_buffer_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    """Record bytes a slow stream may fall behind before it is closed (4008)."""
    stream_ticket_ttl_s: int = Field(default=60, ge=5, le=3600)
    """Lifetime of a single-use stream ticket, in seconds."""
    migrate_on_start: bool | None = None
    """Unset: migrate on start with SQLite (embedded mode) only; run `topichub migrate`
    before starting several processes on PostgreSQL."""
    log_level: str = "INFO"
    """DEBUG, INFO, WARNING or ERROR."""
    log_json: bool | None = None
    """JSON lines (true) or readable, coloured lines (false). Unset: JSON in production or
    when stderr is not a terminal (a file, a pipe, a log collector), readable otherwise."""
    password_hash_concurrency: int = Field(default=4, ge=1, le=64)
    """Argon2 hashes computed at once (each takes ~40 ms and 19 MiB)."""
    login_attempts_per_minute: int = Field(default=10, ge=1)
    """Failed logins per account and minute (five times as many per address)."""

    @model_validator(mode="after")
    def _check_production(self) -> Settings:
        if self.env is Environment.production:
            if self.jwt_secret is None:
                raise ValueError(
                    "TOPICHUB_JWT_SECRET is required in production "
                    f"(at least {MIN_SECRET_BYTES} random bytes)"
                )
            if self.demo:
                raise ValueError(
                    "TOPICHUB_DEMO=1 is refused in production: demo users have published passwords"
                )
        if self.jwt_secret is not None:
            check_secret_strength(self.jwt_secret.get_secret_value())
        if "cors_origins" not in self.model_fields_set and self.env is Environment.development:
            self.cors_origins = list(VITE_DEV_ORIGINS)
        return self

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'topichub.db').resolve()}"

    def secret_key(self) -> str:
        """The JWT signing secret: configured, or (development only) generated once and
        kept in DATA_DIR so tokens survive restarts."""
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        if self.env is Environment.production:  # pragma: no cover - refused by validation
            raise ConfigError("TOPICHUB_JWT_SECRET is required in production")
        path = self.data_dir / "jwt_secret"
        if path.exists():
            value = path.read_text().strip()
            check_secret_strength(value)
            return value
        path.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        path.write_text(value)
        path.chmod(0o600)
        return value

    def logs_as_json(self) -> bool:
        if self.log_json is not None:
            return self.log_json
        return self.env is Environment.production or not sys.stderr.isatty()

    def engines_summary(self) -> dict[str, str]:
        db = "sqlite" if self.resolved_database_url.startswith("sqlite") else "postgresql"
        return {
            "database": db,
            "event_log": "kafka" if self.kafka_bootstrap_servers else "embedded",
            "limits": "redis" if self.redis_url else "memory",
        }

    def check_scale_out(self) -> None:
        """Refuse configurations whose embedded engines would be wrong with several
        processes: each would keep its own log, counters and limits."""
        if self.workers <= 1:
            return
        engines = self.engines_summary()
        problems = []
        if engines["database"] == "sqlite":
            problems.append("TOPICHUB_DATABASE_URL must point at PostgreSQL")
        if engines["event_log"] == "embedded":
            problems.append(
                "TOPICHUB_KAFKA_BOOTSTRAP_SERVERS must be set (the embedded "
                "event log serves one process)"
            )
        if engines["limits"] == "memory":
            problems.append(
                "TOPICHUB_REDIS_URL must be set (in-process limits would let "
                "each worker count on its own)"
            )
        if problems:
            raise ConfigError(f"{self.workers} workers need shared engines: " + "; ".join(problems))


MIN_SECRET_BITS = 128


def estimated_entropy_bits(value: str) -> float:
    """Length times the Shannon entropy of the value's own characters: 32 x "a" is 0,
    a 43-character ``token_urlsafe(32)`` about 220, 64 hex digits about 250. It only
    catches the visibly non-random; nothing here can prove a secret random."""
    if not value:
        return 0.0
    counts = Counter(value)
    total = len(value)
    per_char = -sum(n / total * math.log2(n / total) for n in counts.values())
    return per_char * total


def check_secret_strength(value: str) -> None:
    # Padding (a trailing newline from a secrets file) does not make a published secret safe.
    value = value.strip()
    if (
        value.lower() in WEAK_SECRETS
        or len(value.encode()) < MIN_SECRET_BYTES
        or estimated_entropy_bits(value) < MIN_SECRET_BITS
    ):
        raise ValueError(
            f"the JWT secret is too weak: use at least {MIN_SECRET_BYTES} random bytes, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )
