"""aiokafka's errors in the port's terms, and the bound every call to the cluster runs in:
a paused or partitioned broker turns into ``BusTimeout``/``BusUnavailable``, never a
hang."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aiokafka.errors import (
    ConsumerStoppedError,
    CorruptRecordException,
    InvalidConfigurationError,
    InvalidPartitionsError,
    InvalidReplicationFactorError,
    InvalidTopicError,
    KafkaError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    PolicyViolationError,
    RecordListTooLargeError,
    RecordTooLargeError,
    RequestTimedOutError,
    UnknownTopicOrPartitionError,
)

from topichub.bus.port import BusError, BusTimeout, BusUnavailable, TopicNotFound

RETENTION_CONFIG_ERRORS = (InvalidConfigurationError, PolicyViolationError)
CLUSTER_ERRORS = (KafkaError, ConsumerStoppedError, TimeoutError, OSError)
"""What a call to the cluster can fail with, besides a ``BusError``: ``to_bus_error``
turns each into one."""
# Errors after which the records were certainly not stored: report them as such rather
# than as "unknown outcome".
_DEFINITE_ERRORS = (
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    InvalidTopicError,
    CorruptRecordException,
    InvalidPartitionsError,
    InvalidReplicationFactorError,
)


def to_bus_error(exc: BaseException, what: str) -> BusError:
    if isinstance(exc, BusError):
        return exc
    if isinstance(exc, (TimeoutError, KafkaTimeoutError, RequestTimedOutError)):
        return BusTimeout(f"{what}: no answer in time (outcome unknown)")
    if isinstance(exc, UnknownTopicOrPartitionError):
        return TopicNotFound(what)
    if isinstance(exc, _DEFINITE_ERRORS):
        return BusError(f"{what}: {exc!r}")
    return BusUnavailable(f"{what}: {exc!r}")


@contextlib.asynccontextmanager
async def bounded(what: str, timeout: float) -> AsyncIterator[None]:
    """Run a block against the cluster within ``timeout`` and in bus error terms."""
    try:
        async with asyncio.timeout(timeout):
            yield
    except BusError:
        raise
    except CLUSTER_ERRORS as exc:
        raise to_bus_error(exc, what) from exc


def retrieve_exception(future: asyncio.Future[Any]) -> None:
    # A batch future we stopped waiting for (our timeout fired first) still completes
    # later; reading its exception keeps asyncio from logging it as never retrieved.
    if not future.cancelled():
        future.exception()
