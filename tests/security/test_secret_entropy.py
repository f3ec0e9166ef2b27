"""Issue 12.19: a JWT secret long enough but visibly not random (32 x "a", a repeated
pattern, a short passphrase) is refused, in production and everywhere else."""

from __future__ import annotations

import secrets

import pytest
from pydantic import ValidationError

from topichub.config import Settings


@pytest.mark.parametrize(
    "secret", ["a" * 32, "abcd" * 8, "ab" * 40, "correct horse battery staple xyz"]
)
def test_a_long_but_not_random_secret_is_refused(secret: str) -> None:
    with pytest.raises(ValidationError, match="too weak"):
        Settings(env="production", jwt_secret=secret)


@pytest.mark.parametrize("secret", [secrets.token_urlsafe(32), secrets.token_hex(32)])
def test_generated_secrets_pass(secret: str) -> None:
    assert Settings(env="production", jwt_secret=secret).jwt_secret is not None
