"""Issue 12.19: a JWT secret long enough but visibly not random (32 x "a", a repeated
pattern, a short passphrase) is refused, in production and everywhere else."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from pydantic import ValidationError

from topichub.config import Settings


@pytest.mark.parametrize(
    "secret", ["a" * 32, "abcd" * 8, "ab" * 40, "correct horse battery staple xyz"]
)
def test_a_long_but_not_random_secret_is_refused(secret: str) -> None:
    with pytest.raises(ValidationError, match="too weak"):
        Settings(env="production", jwt_secret=secret)


@pytest.mark.parametrize(
    "generate", [secrets.token_urlsafe, secrets.token_hex], ids=["token_urlsafe", "token_hex"]
)
def test_generated_secrets_pass(generate: Callable[[int], str]) -> None:
    secret = generate(32)
    assert Settings(env="production", jwt_secret=secret).jwt_secret is not None
