"""A message value is stored as exactly the bytes json.dumps writes (compact, UTF-8,
no NaN), whichever encoder produced them."""

from __future__ import annotations

import json
import random
import string
from typing import Any

import pytest

from topichub.topics.service import encode_value


def reference(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


@pytest.mark.parametrize(
    "value",
    [
        {"n": 1, "text": "hello, topichub", "nested": [1, 2.5, None, True, {}]},
        'héllo ☃ 😀 \u2028 \x01 " \\ / </script>',
        10**40,
        -0.0,
        1e16,
        1.5e300,
        1e-7,
        9.231044982036191e-05,
        0.1,
        5e-324,
        "NaN",
        "re-run e+1 0.00001",
        {"z": 1, "a": 2},
    ],
)
def test_a_value_is_encoded_as_json_dumps_would(value: Any) -> None:
    assert encode_value(value) == reference(value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), [1, {"x": float("-inf")}]])
def test_nan_and_infinity_are_refused(value: Any) -> None:
    with pytest.raises(ValueError, match=r"JSON compliant|Out of range"):
        encode_value(value)


def test_random_values_are_encoded_as_json_dumps_would() -> None:
    rnd = random.Random(20)

    def gen(depth: int = 0) -> Any:
        kind = rnd.randrange(7 if depth < 3 else 5)
        if kind == 0:
            return rnd.randrange(-(10**30), 10**30)
        if kind == 1:
            return rnd.random() * 10.0 ** rnd.randrange(-320, 300)
        if kind == 2:
            return "".join(chr(rnd.randrange(0x20, 0xD7FF)) for _ in range(rnd.randrange(12)))
        if kind == 3:
            return rnd.choice([None, True, False, ""])
        if kind == 4:
            return rnd.random() - 0.5
        if kind == 5:
            return [gen(depth + 1) for _ in range(rnd.randrange(4))]
        return {
            "".join(rnd.choice(string.printable) for _ in range(3)): gen(depth + 1)
            for _ in range(rnd.randrange(4))
        }

    for _ in range(20_000):
        value = gen()
        assert encode_value(value) == reference(value), value
