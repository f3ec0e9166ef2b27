"""A message value is stored as exactly the bytes json.dumps writes (compact, UTF-8,
no NaN), whichever encoder produced them."""

from __future__ import annotations

import json
import random
import string
import uuid
from typing import Any

import pytest

from topichub.bus import OutBatch
from topichub.topics.schemas import MessageDict
from topichub.topics.service import TopicRef, encode_messages, encode_value


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


def random_value(rnd: random.Random) -> Any:
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

    return gen()


def test_random_values_are_encoded_as_json_dumps_would() -> None:
    rnd = random.Random(20)
    for _ in range(20_000):
        value = random_value(rnd)
        assert encode_value(value) == reference(value), value


def random_text(rnd: random.Random) -> str:
    """Any character but a lone surrogate (JSON parsing never gives one): control
    characters, DEL, U+2028, astral planes, and the marks the encoder looks for."""
    pool = [chr(c) for c in range(0x80)] + ["\u2028", "\u2029", "é", "☃", "😀", "e-", "NaN"]
    text = "".join(rnd.choice(pool) for _ in range(rnd.randrange(40)))
    return text + "".join(chr(rnd.randrange(0xE000, 0x10FFFF)) for _ in range(rnd.randrange(3)))


def encoded_batch(values: list[Any]) -> list[bytes]:
    topic = TopicRef(
        id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        project_id=uuid.uuid4(),
        name="t",
        physical_name="th.t.x",
        kind="user",
        partitions=1,
        partitioner="murmur2",
        retention_ms=None,
        retention_bytes=None,
    )
    messages: list[MessageDict] = [{"value": v} for v in values]
    batch = encode_messages(messages, topic=topic, max_batch=10**6, max_message_bytes=10**9)
    assert isinstance(batch.records, OutBatch)
    assert batch.total_bytes == sum(map(len, batch.records.values))
    return batch.records.values


def test_a_batch_is_encoded_value_by_value_as_json_dumps_would() -> None:
    """encode_messages encodes a batch in one pass (strings skip the re-check): the
    same bytes as encode_value, whether the batch is all strings or mixed."""
    rnd = random.Random(21)
    for _ in range(200):
        texts = [random_text(rnd) for _ in range(50)]
        assert encoded_batch(texts) == [reference(t) for t in texts]
        mixed = [random_value(rnd) for _ in range(50)]
        assert encoded_batch(mixed) == [reference(v) for v in mixed]
