"""Argon2id password hashing, bounded so that hashing cannot be used to exhaust the CPU."""

from __future__ import annotations

import asyncio
import re

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from topichub.identity.common_passwords import COMMON_PASSWORDS

# OWASP's minimum for Argon2id (m=19 MiB, t=2, p=1): about 38 ms a hash on this class of
# machine, against 179 ms for the library default (RELIABILITY.md).
_HASHER = PasswordHash((Argon2Hasher(memory_cost=19_456, time_cost=2, parallelism=1),))

MIN_LENGTH = 8
MAX_LENGTH = 128


class PasswordPolicyError(ValueError):
    pass


def check_policy(password: str, *, identifiers: tuple[str | None, ...] = ()) -> None:
    """Reject passwords that are short, very long (hashing cost), or trivially guessable."""
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(f"Password must be at least {MIN_LENGTH} characters long")
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(f"Password must be at most {MAX_LENGTH} characters long")
    if len(set(password)) < 3:
        raise PasswordPolicyError("Password is too simple: use more different characters")
    lowered = password.lower()
    if _is_common(lowered):
        raise PasswordPolicyError(
            "Password is too common: it appears in lists attackers try first; choose another"
        )
    for identifier in identifiers:
        if identifier and lowered == identifier.lower():
            raise PasswordPolicyError("Password must not be the same as the email or username")


_AFFIXES = re.compile(r"^[\d\W_]+|[\d\W_]+$")


def _is_common(lowered: str) -> bool:
    if lowered in COMMON_PASSWORDS:
        return True
    core = _AFFIXES.sub("", lowered)
    # "Password1", "!qwerty2024": the same word with what people add to pass rules.
    return bool(core) and core in COMMON_PASSWORDS


class Hasher:
    """Hashes and verifies in worker threads, at most ``concurrency`` at a time."""

    def __init__(self, concurrency: int) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self._dummy_hash = _HASHER.hash("topichub-dummy-password")

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(_HASHER.hash, password)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        """Verify; with no hash (unknown user) still spend the same time, so a failure
        does not reveal whether the account exists."""
        async with self._slots:
            if password_hash is None:
                await asyncio.to_thread(_HASHER.verify, password, self._dummy_hash)
                return False
            return await asyncio.to_thread(_HASHER.verify, password, password_hash)


def hash_sync(password: str) -> str:
    """Blocking hash, for the CLI."""
    return _HASHER.hash(password)
