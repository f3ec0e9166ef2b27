"""``kit.redact``: the quick test that lets most log text through never lets a credential
through."""

from __future__ import annotations

import pytest

from topichub.kit.redact import MASK, might_hold_secret, redact, redact_value

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXZhbHVl"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"GET /topics/x/stream?from=beginning&token={JWT}", JWT),
        ("X-API-Key thk_abcdefgh12345678", "thk_abcdefgh12345678"),
        ("refresh thr_ZYXWVUTSRQ_12345", "thr_ZYXWVUTSRQ_12345"),
        ("Authorization: Bearer abcdefgh.ijkl-mnop", "abcdefgh.ijkl-mnop"),
        ("authorization: BASIC dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
        ('{"PASSWORD": "Wrong-42-x"}', "Wrong-42-x"),
        ("Current_Password=hunter2-hunter2", "hunter2-hunter2"),
        ("ws /subscribe/1?Ticket=abc123xyz", "abc123xyz"),
        ("'client_secret': 'sssh-very'", "sssh-very"),
        ("pwd=letmein&x=1", "letmein"),
        ("Signature=deadbeef01", "deadbeef01"),
        ("dapr-api-token=tok-123", "tok-123"),
        (
            "hash $argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
            "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
        ),
    ],
)
def test_every_kind_of_credential_is_masked(text: str, secret: str) -> None:
    assert might_hold_secret(text)
    cleaned = redact(text)
    assert secret not in cleaned
    assert MASK in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "POST /api/v1/topics/{name}/publish 200 1.2ms",
        "/api/v1/topics/events/publish",
        "3f1c2d5e-1234-4bcd-9abc-0123456789ab",
        "2026-12-05T03:39:01.123456Z",
        "topichub.access",
    ],
)
def test_ordinary_text_is_let_through_unchanged(text: str) -> None:
    assert not might_hold_secret(text)
    assert redact(text) is text


def test_nested_values_are_redacted() -> None:
    value = {"a": [f"token={JWT}", 3], "b": (f"x {JWT}",), "c": 1.5}
    cleaned = redact_value(value)
    assert JWT not in repr(cleaned)
    assert cleaned["c"] == 1.5
    assert isinstance(cleaned["b"], tuple)
