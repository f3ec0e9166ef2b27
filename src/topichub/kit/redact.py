"""Remove credentials from text bound for a log line.

Every log line passes through ``redact`` (``topichub.logging`` installs it for our loggers
and every library's), so a credential that reaches a message by any path (a WebSocket
handshake's query string printed by uvicorn, a database error quoting its parameters, an
exception's text) is masked before it is written. What is recognised: our API keys and
refresh tokens by prefix, any JWT (access tokens, stream tickets) by its shape, Argon2
hashes, ``Bearer``/``Basic`` credentials, and the value of any query parameter, JSON
field or ``key=value`` pair whose name says it holds a secret.
"""

from __future__ import annotations

import re
from typing import Any, Final

MASK: Final = "[REDACTED]"

_SECRET_NAMES: Final = (
    r"(?:access_token|refresh_token|id_token|token|ticket|api[_-]?key|x-api-key|key|secret"
    r"|password|current_password|passwd|pwd|password_hash|authorization|client_secret"
    r"|dapr-api-token|jwt_secret|signature)"
)

_PATTERNS: Final = (
    # JWTs: access tokens, refresh-less stream tickets, anything signed.
    re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
    # Our API keys (thk_) and refresh tokens (thr_).
    re.compile(r"\bth[kr]_[A-Za-z0-9_-]{8,}"),
    re.compile(r"\$argon2(?:id|i|d)\$(?:v=\d+\$)?[a-z0-9=,]+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+"),
    re.compile(r"(?i)\b(?:bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
)
# ?token=…, &ticket=…, password=… (also in "key: value" and JSON "key": "value").
_NAMED: Final = (
    re.compile(rf"(?i)(\b{_SECRET_NAMES}=)[^&\s'\"#;,)]+"),
    re.compile(rf"(?i)([\"']{_SECRET_NAMES}[\"']\s*:\s*[\"'])[^\"']*"),
)


# Every pattern above matches only text holding one of these (lower-cased): a line
# without any of them, which is nearly every line, is let through after one ``lower()``
# and a few substring tests instead of six regular expression passes.
_TRIGGERS: Final = (
    "eyj",
    "thk_",
    "thr_",
    "$argon2",
    "bearer",
    "basic",
    "token",
    "ticket",
    "key",
    "secret",
    "passw",
    "pwd",
    "authorization",
    "signature",
)


def might_hold_secret(text: str) -> bool:
    """False only when no pattern of ``redact`` can match ``text``."""
    lowered = text.lower()
    # A plain loop: any() over a generator measured twice as slow here.
    for trigger in _TRIGGERS:  # noqa: SIM110
        if trigger in lowered:
            return True
    return False


_CLEAN: set[str] = set()
"""Short strings already found to hold no credential. Log lines repeat most of their
values (levels, logger names, routes, paths, ids of the same tenants): a set lookup
instead of the trigger scan, or of six regular expressions for a value such as
``api_key`` that names a secret without being one. Bounded: emptied when full."""
_CLEAN_MAX: Final = 4096
_CLEAN_LEN: Final = 256


def redact(text: str) -> str:
    """``text`` with every credential it recognises replaced by ``[REDACTED]``."""
    if text in _CLEAN:
        return text
    cleaned = text
    if might_hold_secret(text):
        for pattern in _NAMED:
            cleaned = pattern.sub(lambda m: m.group(1) + MASK, cleaned)
        for pattern in _PATTERNS:
            cleaned = pattern.sub(MASK, cleaned)
    if cleaned == text:
        if len(text) <= _CLEAN_LEN:
            if len(_CLEAN) >= _CLEAN_MAX:
                _CLEAN.clear()
            _CLEAN.add(text)
        return text
    return cleaned


def redact_value(value: Any) -> Any:
    """Redact strings anywhere inside dicts, lists and tuples; other values unchanged."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(v) for v in value)
    return value
