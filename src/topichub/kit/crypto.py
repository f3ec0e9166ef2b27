"""Secrets, digests and constant-time comparison."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def random_token(nbytes: int = 32) -> str:
    """URL-safe text carrying ``nbytes`` of randomness."""
    return secrets.token_urlsafe(nbytes)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def equals(a: str, b: str) -> bool:
    """Compare two secrets in time independent of where they differ."""
    return hmac.compare_digest(a.encode(), b.encode())
