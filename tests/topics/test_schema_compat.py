"""The compatibility rule behind ``?force=true``: sound (never "compatible" when the new
schema rejects something the old one accepted), and good enough for common changes."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

from topichub.topics.schema_compat import incompatibilities

OBJ: dict[str, Any] = {
    "type": "object",
    "required": ["a"],
    "properties": {"a": {"type": "integer", "minimum": 0}, "b": {"type": "string"}},
}

COMPATIBLE = [
    (OBJ, OBJ),
    (OBJ, {**OBJ, "title": "renamed", "description": "annotations assert nothing"}),
    (OBJ, {**OBJ, "required": []}),
    (OBJ, {**OBJ, "type": ["object", "null"]}),
    (OBJ, {**OBJ, "properties": {**OBJ["properties"], "a": {"type": "number"}}}),
    (OBJ, {**OBJ, "properties": {"a": {"type": "integer"}}}),
    ({**OBJ, "additionalProperties": False}, {**OBJ, "properties": {**OBJ["properties"], "c": {}}}),
    ({"enum": [1, 2]}, {"enum": [1, 2, 3]}),
    ({"const": "x"}, {"type": "string"}),
    ({"type": "integer"}, {"type": "number"}),
    ({"minimum": 5}, {"minimum": 1}),
    ({"exclusiveMinimum": 5}, {"minimum": 5}),
    ({"minimum": 5}, {"exclusiveMinimum": 4}),
    ({"maxLength": 3}, {"maxLength": 10}),
    ({"type": "array", "items": {"type": "integer"}}, {"type": "array", "items": {}}),
    ({"multipleOf": 4}, {"multipleOf": 2}),
    (False, {"type": "string"}),
    ({"type": "string"}, True),
    ({"pattern": "^a"}, {"pattern": "^a"}),
]

INCOMPATIBLE = [
    # Unprovable without exact arithmetic: refused, never an error.
    ({"multipleOf": 10**400}, {"multipleOf": 0.5}),
    # The old schema let "c" be anything.
    (OBJ, {**OBJ, "properties": {**OBJ["properties"], "c": {"type": "boolean"}}}),
    (OBJ, {**OBJ, "required": ["a", "b"]}),
    (OBJ, {**OBJ, "type": "array"}),
    (OBJ, {**OBJ, "properties": {**OBJ["properties"], "a": {"type": "integer", "minimum": 1}}}),
    (
        OBJ,
        {
            **OBJ,
            "properties": {**OBJ["properties"], "c": {"type": "boolean"}},
            "additionalProperties": True,
            "required": ["a", "c"],
        },
    ),
    (OBJ, {**OBJ, "additionalProperties": False}),
    (
        OBJ,
        {
            **OBJ,
            "properties": {"a": OBJ["properties"]["a"]},
            "additionalProperties": {"type": "integer"},
        },
    ),
    ({"enum": [1, 2, 3]}, {"enum": [1, 2]}),
    ({"enum": [1, True]}, {"enum": [1]}),
    ({"type": "number"}, {"type": "integer"}),
    ({"minimum": 1}, {"minimum": 5}),
    ({"minimum": 5}, {"exclusiveMinimum": 5}),
    ({}, {"type": "string"}),
    ({"type": "string"}, {"type": "string", "pattern": "^a"}),
    ({"pattern": "^a"}, {"pattern": "^b"}),
    ({"type": "array"}, {"type": "array", "uniqueItems": True}),
    (
        {"type": "array", "prefixItems": [{"type": "integer"}]},
        {"type": "array", "items": {"type": "integer"}},
    ),
    ({"multipleOf": 2}, {"multipleOf": 4}),
    (
        {"$defs": {"x": {"type": "integer"}}, "$ref": "#/$defs/x"},
        {"$defs": {"x": {"type": "number"}}, "$ref": "#/$defs/x"},
    ),
    ({"type": "string"}, False),
    (
        {"anyOf": [{"type": "string"}]},
        {"anyOf": [{"type": "string"}, {"type": "null"}], "type": "string"},
    ),
]

SAMPLES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    2,
    3,
    4,
    5,
    -1,
    1.5,
    4.0,
    "",
    "a",
    "b",
    "ab",
    "abcdefghijk",
    [],
    [1],
    [1, 1],
    ["x"],
    {},
    {"a": 0},
    {"a": 1},
    {"a": 5, "b": "s"},
    {"a": -1},
    {"a": 1, "c": True},
    {"a": 1, "c": 3},
    {"a": 1, "b": 2},
    {"a": 1.5},
    {"b": "s"},
]


@pytest.mark.parametrize(("old", "new"), COMPATIBLE)
def test_a_looser_schema_is_compatible(old: Any, new: Any) -> None:
    assert incompatibilities(old, new) == []
    # Soundness on samples: whatever the old schema accepts, the new one accepts.
    before, after = jsonschema_rs.validator_for(old), jsonschema_rs.validator_for(new)
    for sample in SAMPLES:
        if before.is_valid(sample):
            assert after.is_valid(sample), sample


@pytest.mark.parametrize(("old", "new"), INCOMPATIBLE)
def test_a_stricter_or_unprovable_schema_is_not(old: Any, new: Any) -> None:
    reasons = incompatibilities(old, new)
    assert reasons
    assert all(isinstance(r, str) and r for r in reasons)
