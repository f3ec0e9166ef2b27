"""The publish fast path parses a body into plain dicts (``PUBLISH_BODY``: pydantic_core's
parser and whole-list checks for a body of values only, else a TypedDict adapter), the API route
into ``PublishIn`` models (``PUBLISH_MODEL``): both must accept exactly the same bodies,
with the same values, or a body would be published by one path and refused by the
other (a refused body goes to the API route, whose answers are the API's)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from topichub.topics.endpoints import PUBLISH_BODY, PUBLISH_MODEL
from topichub.topics.schemas import message_dicts

BODIES: list[Any] = [
    {"messages": [{"value": 1}]},
    {"messages": [{"value": {"a": [1, 2.5, None]}, "key": "k", "headers": {"h": "v"}}]},
    {"messages": [{"value": None, "key": None, "headers": None, "partition": None}]},
    {"messages": [{"value": "x", "partition": 0}, {"value": "y", "partition": 3}]},
    {"messages": [{"value": "x", "headers": {}}]},
    {"messages": [{"value": "x", "key": ""}]},
    {"messages": [{"value": "x", "key": "k" * 1024}]},
    {"messages": [{"value": "x", "headers": {f"h{i}": "v" for i in range(64)}}]},
    {"messages": [{"value": "x", "headers": {"h": "v" * 4096}}]},
    {"messages": [{"value": "x", "partition": "2"}]},
    {"messages": [{"value": "x", "partition": 2.0}]},
    {"messages": [{"value": "x", "key": 5}]},
    # refused
    {"messages": []},
    {"messages": [{}]},
    {"messages": [1]},
    {"messages": [None]},
    {"messages": [{"value": "x", "extra": 1}]},
    {"messages": [{"value": "x", "partition": -1}]},
    {"messages": [{"value": "x", "partition": 2.5}]},
    {"messages": [{"value": "x", "key": "k" * 1025}]},
    {"messages": [{"value": "x", "headers": {"": "v"}}]},
    {"messages": [{"value": "x", "headers": {"h": "v" * 4097}}]},
    {"messages": [{"value": "x", "headers": {f"h{i}": "v" for i in range(65)}}]},
    {"messages": [{"value": "x", "headers": {"h": 1}}]},
    {"messages": [{"value": "x", "headers": []}]},
    {"messages": {"value": 1}},
    {"messages": [{"value": 1}], "other": 1},
    {},
    [],
    "messages",
]


RAW_BODIES = [
    b'{"messages":[{"value":NaN}]}',
    b'{"messages":[{"value":1e400}]}',
    b'{"messages":[{"value":123456789012345678901234567890}]}',
    b'{"messages":[{"value":"\\ud800"}]}',
    b'{"messages":[{"value":1,"value":2}]}',
    b'{"messages":[{"value":1}],"messages":[{"value":2}]}',
    b'{"messages":[{"value":1}]} x',
    b'{"messages":[{"value":1}]',
    b"\xff",
    b"",
    b"null",
]


def parse(adapter: Any, raw: bytes) -> Any:
    try:
        return adapter.validate_json(raw)
    except ValidationError:
        return None


@pytest.mark.parametrize("raw", [json.dumps(b).encode() for b in BODIES] + RAW_BODIES)
def test_both_parsers_accept_the_same_bodies_with_the_same_values(raw: bytes) -> None:
    body = raw
    as_dicts = parse(PUBLISH_BODY, raw)
    as_models = parse(PUBLISH_MODEL, raw)
    assert (as_dicts is None) == (as_models is None), body
    if as_models is None:
        return
    given = [
        {k: v for k, v in m.items() if v is not None or k == "value"} for m in as_dicts["messages"]
    ]
    assert repr(given) == repr(message_dicts(as_models.messages))  # repr: NaN != NaN


# Bodies near the schema's edges: every field with values of every JSON type, sizes on
# both sides of each limit, unknown fields, and bodies of values only (the fast parser's
# case) mixed with full ones.
_JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=8),
)
_JSON = st.recursive(
    _JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
_KEYS = st.one_of(
    st.none(), st.text(max_size=4), st.sampled_from(["k" * 1024, "k" * 1025]), _JSON_SCALARS
)
_HEADER_NAMES = st.one_of(st.text(max_size=4), st.just(""))
_HEADERS = st.one_of(
    st.none(),
    st.dictionaries(_HEADER_NAMES, st.one_of(st.text(max_size=4), _JSON_SCALARS), max_size=3),
    st.sampled_from(
        [
            {f"h{i}": "v" for i in range(64)},
            {f"h{i}": "v" for i in range(65)},
            {"h": "v" * 4096},
            {"h": "v" * 4097},
        ]
    ),
    _JSON,
)
_PARTITIONS = st.one_of(
    st.none(),
    st.integers(min_value=-2, max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-2, max_value=8),
    st.sampled_from(["2", "x", True]),
)


@st.composite
def _messages(draw: st.DrawFn) -> Any:
    fields: dict[str, Any] = {}
    if draw(st.booleans()) or draw(st.booleans()):
        fields["value"] = draw(_JSON)
    if draw(st.booleans()):
        fields["key"] = draw(_KEYS)
    if draw(st.booleans()):
        fields["headers"] = draw(_HEADERS)
    if draw(st.booleans()):
        fields["partition"] = draw(_PARTITIONS)
    if draw(st.integers(0, 9)) == 0:
        fields[draw(st.sampled_from(["extra", "Value", "offset"]))] = draw(_JSON_SCALARS)
    if draw(st.integers(0, 19)) == 0:
        return draw(_JSON)  # a message that is not an object
    return fields


_BODIES = st.one_of(
    st.fixed_dictionaries({"messages": st.lists(_messages(), max_size=4)}),
    st.fixed_dictionaries(
        {"messages": st.lists(st.fixed_dictionaries({"value": _JSON}), max_size=4)}
    ),
    _JSON,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_BODIES)
def test_both_parsers_agree_on_generated_bodies(body: Any) -> None:
    test_both_parsers_accept_the_same_bodies_with_the_same_values(json.dumps(body).encode())
