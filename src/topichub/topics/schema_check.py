"""Checking published messages against their topic's JSON Schema (draft 2020-12).

``check_batch`` is the one call the publish path makes: over the whole batch, before
anything is stored. A topic without a schema costs a loop that looks for the reserved
header; with one, a validator compiled once per schema version (jsonschema-rs, chosen by
measurement: docs/schemas.md) checks every value, and the answer is the header each
stored message carries, naming the version it was checked against.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import jsonschema_rs
from sqlalchemy.ext.asyncio import AsyncSession

from topichub.errors import ValidationFailed
from topichub.topics.schema_repository import TopicSchemaRepository
from topichub.topics.schemas import MessageDict
from topichub.topics.service import EncodedBatch

SCHEMA_VERSION_HEADER = "topichub-schema-version"
"""The record header naming the schema version a message was checked against. Lower
case and hyphenated like the ``idempotency-key`` header publish adds; a client may not
send it."""
DIALECTS = frozenset(
    {
        "https://json-schema.org/draft/2020-12/schema",
        "https://json-schema.org/draft/2020-12/schema#",
    }
)
MAX_ERRORS = 20
"""Failures named in one 422 answer (the first ones, in message order)."""
REGEX_SIZE_LIMIT = 1 << 20
MAX_REASON = 300
"""Characters of a failure's text kept in an answer (it may quote a large value)."""


def _short(text: str) -> str:
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


class _Topic(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def schema_version(self) -> int | None: ...


def pointer(path: Sequence[str | int]) -> str:
    """An RFC 6901 JSON pointer: ``/a~1b/0`` for ``["a/b", 0]``."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _schema_invalid(reason: str, at: str = "") -> ValidationFailed:
    reason = _short(reason)
    return ValidationFailed(
        f"Not a usable JSON Schema (draft 2020-12): {reason}",
        details=[{"field": "schema" + (at.replace("/", ".") if at else ""), "reason": reason}],
    )


def compile_schema(document: Any) -> jsonschema_rs.Validator:
    """A validator for ``document``, or ``ValidationFailed`` saying what is wrong with it.
    References are resolved inside the document only (nothing is fetched: a schema must
    not make the server open URLs), and ``pattern`` uses a linear-time regex engine (no
    look-around or back-references, and no catastrophic backtracking)."""
    if not isinstance(document, dict | bool):
        raise _schema_invalid("a schema is a JSON object or a boolean")
    if isinstance(document, dict):
        dialect = document.get("$schema")
        if dialect is not None and dialect not in DIALECTS:
            raise _schema_invalid(
                f"'$schema' must be https://json-schema.org/draft/2020-12/schema (got {dialect!r})",
                "/$schema",
            )
    try:
        jsonschema_rs.meta.validate(document)
        return jsonschema_rs.Draft202012Validator(
            document,
            offline=True,
            pattern_options=jsonschema_rs.RegexOptions(size_limit=REGEX_SIZE_LIMIT),
        )
    except jsonschema_rs.ValidationError as exc:
        raise _schema_invalid(exc.message, pointer(exc.instance_path)) from exc
    except (ValueError, jsonschema_rs.ReferencingError) as exc:  # e.g. nested too deeply
        raise _schema_invalid(str(exc).splitlines()[0]) from exc


@dataclass(frozen=True, slots=True)
class Compiled:
    version: int
    validator: jsonschema_rs.Validator
    headers: tuple[tuple[str, bytes], ...]


_COMPILED: dict[tuple[uuid.UUID, int], Compiled] = {}
"""By (topic id, version). A version's document never changes and topic ids are never
reused, so an entry is never stale; the bound only limits memory."""
_COMPILED_MAX = 2_000


async def compiled(session: AsyncSession, topic_id: uuid.UUID, version: int) -> Compiled:
    found = _COMPILED.get((topic_id, version))
    if found is not None:
        return found
    row = await TopicSchemaRepository(session).version(topic_id, version)
    if row is None:
        # Deleted together with its topic between the lookup and now.
        raise ValidationFailed("The topic's schema changed; retry the publish")
    found = Compiled(
        version=version,
        validator=compile_schema(json.loads(row.document)),
        headers=((SCHEMA_VERSION_HEADER, str(version).encode()),),
    )
    if len(_COMPILED) >= _COMPILED_MAX:
        del _COMPILED[next(iter(_COMPILED))]
    _COMPILED[(topic_id, version)] = found
    return found


def failures(
    validator: jsonschema_rs.Validator, values: Sequence[Any], *, limit: int = MAX_ERRORS
) -> list[dict[str, Any]]:
    """The first ``limit`` failures of ``values``: message index, JSON pointer into the
    value, the schema keyword's location, and what is wrong."""
    found: list[dict[str, Any]] = []
    for index, value in enumerate(values):
        if validator.is_valid(value):
            continue
        for error in validator.iter_errors(value):
            at = pointer(error.instance_path)
            found.append(
                {
                    "field": f"messages.{index}.value",
                    "index": index,
                    "pointer": at,
                    "schema_pointer": pointer(error.schema_path),
                    "reason": _short(error.message),
                }
            )
            if len(found) >= limit:
                return found
    return found


def _check_reserved(messages: Sequence[MessageDict]) -> None:
    for index, message in enumerate(messages):
        headers = message.get("headers")
        if headers and any(name.lower() == SCHEMA_VERSION_HEADER for name in headers):
            raise ValidationFailed(
                f"Message at index {index} sets the header '{SCHEMA_VERSION_HEADER}', "
                "which topichub sets itself",
                details=[{"field": f"messages.{index}.headers", "reason": "reserved header"}],
            )


async def check_batch(
    session: AsyncSession, topic: _Topic, messages: Sequence[MessageDict]
) -> tuple[tuple[str, bytes], ...]:
    """Refuse the whole batch (422) when a message does not validate against the topic's
    schema, naming each failing message's index and the JSON pointer of the failure;
    otherwise the headers to add to every record (none when the topic has no schema)."""
    _check_reserved(messages)
    version = topic.schema_version
    if version is None:
        return ()
    schema = await compiled(session, topic.id, version)
    validator = schema.validator
    values = [message["value"] for message in messages]
    if all(map(validator.is_valid, values)):
        return schema.headers
    found = failures(validator, values)
    first = found[0]
    more = f" (and {len(found) - 1} more failure(s) named in details)" if len(found) > 1 else ""
    raise ValidationFailed(
        f"Message at index {first['index']} does not match the topic's schema "
        f"(version {version}) at '{first['pointer'] or '/'}': {first['reason']}{more}. "
        "Nothing was stored.",
        details=found,
    )


async def check_encoded(
    session: AsyncSession, topic: _Topic, messages: Sequence[MessageDict], batch: EncodedBatch
) -> EncodedBatch:
    """``check_batch`` for a batch already encoded (the publish path with an
    Idempotency-Key checks the schema only after a retry had the chance to replay the
    stored answer: a schema tightened since must not refuse a retry of what was stored)."""
    headers = await check_batch(session, topic, messages)
    if not headers:
        return batch
    extra = sum(len(name) + len(value) for name, value in headers)
    return EncodedBatch(
        records=[replace(r, headers=r.headers + headers) for r in batch.records],
        total_bytes=batch.total_bytes + extra * len(batch.records),
    )
