"""Whether a new JSON Schema accepts everything an old one accepted.

The rule is sound and deliberately incomplete: it answers "compatible" only when it can
prove, keyword by keyword, that every instance the old schema accepts, the new one
accepts too; whatever it cannot prove is reported as a reason, and replacing the schema
then needs ``?force=true``. The proof (docs/schemas.md lists the rules):

- Annotations (``title``, ``description``, ``format``, ``examples``, ...) assert nothing.
- ``true``/``{}`` accepts everything; ``false`` in the old schema accepted nothing.
- Each assertion keyword of the new schema must be implied by the same keyword of the
  old one at the same place: a wider ``type`` set, an ``enum`` that contains the old
  one, fewer ``required`` names, looser numeric and length bounds, ``properties``,
  ``additionalProperties`` and ``items`` checked recursively against what the old schema
  said for the same property or item.
- Any other keyword (``pattern``, ``allOf``, ``anyOf``, ``oneOf``, ``not``,
  ``if``/``then``/``else``, ``patternProperties``, ...) must be equal to the old one.
- A schema using ``$ref``, ``$dynamicRef`` or ``unevaluated*`` anywhere (whose meaning
  depends on other places of the document) is compatible only with an equal document.

A new schema holds every message the old one held when each of its keywords is implied:
an instance is accepted when every keyword accepts it, and these keywords judge an
instance independently of one another (the coupled ones, such as ``additionalProperties``
with ``properties``, are judged together above).
"""

from __future__ import annotations

import json
from typing import Any

ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$anchor",
        "$comment",
        "title",
        "description",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "format",
        "contentEncoding",
        "contentMediaType",
        "contentSchema",
    }
)
"""Keywords that assert nothing (``format`` and ``content*`` are annotations in draft
2020-12, and topichub does not turn format assertion on)."""

CONTEXTUAL = ("$ref", "$dynamicRef", "$recursiveRef", "unevaluatedProperties", "unevaluatedItems")

LOWER_BOUNDS = ("minLength", "minItems", "minProperties", "minContains")
UPPER_BOUNDS = ("maxLength", "maxItems", "maxProperties", "maxContains")
JSON_TYPES = ("null", "boolean", "object", "array", "number", "string", "integer")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _uses(schema: Any, keywords: tuple[str, ...]) -> bool:
    if isinstance(schema, dict):
        if any(k in schema for k in keywords):
            return True
        return any(_uses(v, keywords) for v in schema.values())
    if isinstance(schema, list):
        return any(_uses(v, keywords) for v in schema)
    return False


def _strip(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: v for k, v in schema.items() if k not in ANNOTATIONS}
    return schema


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _types_cover(new: set[str], old: set[str]) -> bool:
    return all(t in new or (t == "integer" and "number" in new) for t in old)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def incompatibilities(old: Any, new: Any) -> list[str]:
    """Why ``new`` may reject an instance ``old`` accepted; empty when it cannot."""
    if _canonical(_strip(old)) == _canonical(_strip(new)):
        return []
    if _uses(old, CONTEXTUAL) or _uses(new, CONTEXTUAL):
        return [
            "the schemas differ and one of them uses $ref, $dynamicRef or unevaluated*: "
            "only an equal schema can be shown to accept the same messages"
        ]
    return _implies(old, new, "")


def _implies(old: Any, new: Any, at: str) -> list[str]:
    where = at or "/"
    old, new = _strip(old), _strip(new)
    if new is True or new == {}:
        return []
    if old is False:
        return []
    if new is False:
        return [f"{where}: the new schema rejects everything here"]
    if old is True or old == {}:
        return [f"{where}: the old schema accepted any value here"]
    if not isinstance(old, dict) or not isinstance(new, dict):
        return [f"{where}: not a schema"]
    if _canonical(old) == _canonical(new):
        return []
    reasons: list[str] = []
    handled = {"type", "enum", "const", "required", "properties", "additionalProperties"}
    handled |= {"items", "prefixItems", "minimum", "maximum", "exclusiveMinimum"}
    handled |= {"exclusiveMaximum", "multipleOf", "uniqueItems"}
    handled |= set(LOWER_BOUNDS) | set(UPPER_BOUNDS)
    for keyword, value in new.items():
        if keyword in handled or keyword in ("$defs", "definitions"):
            continue  # definitions matter only through $ref, which is handled above
        if keyword not in old or _canonical(old[keyword]) != _canonical(value):
            reasons.append(f"{where}: '{keyword}' is new or changed")
    reasons += _type_and_values(old, new, where)
    if "required" in new:
        missing = sorted(set(new["required"]) - set(old.get("required", [])))
        if missing:
            reasons.append(f"{where}: newly required {', '.join(missing)}")
    reasons += _object(old, new, at)
    reasons += _array(old, new, at)
    reasons += _bounds(old, new, where)
    return reasons


def _type_and_values(old: dict[str, Any], new: dict[str, Any], where: str) -> list[str]:
    reasons = []
    old_values: list[Any] | None = None
    if "const" in old:
        old_values = [old["const"]]
    elif "enum" in old:
        old_values = list(old["enum"])
    if "type" in new:
        allowed = {new["type"]} if isinstance(new["type"], str) else set(new["type"])
        if "type" in old:
            was = {old["type"]} if isinstance(old["type"], str) else set(old["type"])
            ok = _types_cover(allowed, was)
        elif old_values is not None:
            ok = _types_cover(allowed, {_json_type(v) for v in old_values})
        else:
            ok = False
        if not ok:
            reasons.append(f"{where}: 'type' is narrower")
    for keyword in ("enum", "const"):
        if keyword not in new:
            continue
        accepted = {_canonical(v) for v in (new["enum"] if keyword == "enum" else [new["const"]])}
        if old_values is None or any(_canonical(v) not in accepted for v in old_values):
            reasons.append(f"{where}: '{keyword}' allows fewer values")
    return reasons


def _object(old: dict[str, Any], new: dict[str, Any], at: str) -> list[str]:
    reasons = []
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    old_rest = old.get("additionalProperties", True)
    opaque_old = "patternProperties" in old
    for name, schema in new_props.items():
        if name in old_props:
            reasons += _implies(old_props[name], schema, f"{at}/properties/{name}")
        elif opaque_old:
            reasons.append(f"{at or '/'}: property '{name}' may match old patternProperties")
        else:
            reasons += _implies(old_rest, schema, f"{at}/properties/{name}")
    if "additionalProperties" in new:
        rest = new["additionalProperties"]
        if "patternProperties" in new or opaque_old:
            if _canonical(old_rest) != _canonical(rest):
                reasons.append(f"{at or '/'}: 'additionalProperties' changed beside patterns")
        else:
            for name, schema in old_props.items():
                if name not in new_props:
                    reasons += _implies(schema, rest, f"{at}/properties/{name}")
            reasons += _implies(old_rest, rest, f"{at}/additionalProperties")
    return reasons


def _array(old: dict[str, Any], new: dict[str, Any], at: str) -> list[str]:
    reasons = []
    old_prefix, new_prefix = old.get("prefixItems"), new.get("prefixItems")
    if _canonical(old_prefix) != _canonical(new_prefix):
        reasons.append(f"{at or '/'}: 'prefixItems' changed")
    if "items" in new:
        reasons += _implies(old.get("items", True), new["items"], f"{at}/items")
    if new.get("uniqueItems") is True and old.get("uniqueItems") is not True:
        reasons.append(f"{at or '/'}: 'uniqueItems' is new")
    return reasons


def _bounds(old: dict[str, Any], new: dict[str, Any], where: str) -> list[str]:
    reasons = []
    for keyword in LOWER_BOUNDS:
        if keyword in new and not (keyword in old and old[keyword] >= new[keyword]):
            reasons.append(f"{where}: '{keyword}' is stricter")
    for keyword in UPPER_BOUNDS:
        if keyword in new and not (keyword in old and old[keyword] <= new[keyword]):
            reasons.append(f"{where}: '{keyword}' is stricter")
    low, high = ("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")
    for keyword in low:
        if keyword in new and not _bound_holds(old, new[keyword], keyword, low, lower=True):
            reasons.append(f"{where}: '{keyword}' is stricter")
    for keyword in high:
        if keyword in new and not _bound_holds(old, new[keyword], keyword, high, lower=False):
            reasons.append(f"{where}: '{keyword}' is stricter")
    if "multipleOf" in new and not _divides(new["multipleOf"], old.get("multipleOf")):
        reasons.append(f"{where}: 'multipleOf' is stricter")
    return reasons


def _divides(step: Any, was: Any) -> bool:
    """Whether every multiple of ``was`` is a multiple of ``step``."""
    if not (_number(was) and _number(step) and step > 0):
        return False
    if isinstance(was, int) and isinstance(step, int):
        return was % step == 0
    try:
        return bool((was / step).is_integer())
    except (OverflowError, ZeroDivisionError):
        return False


def _bound_holds(
    old: dict[str, Any], bound: Any, keyword: str, pair: tuple[str, str], *, lower: bool
) -> bool:
    """Whether the old schema's bounds imply ``keyword: bound`` of the new one."""
    inclusive, exclusive = pair
    if not _number(bound):
        return False
    for theirs in pair:
        value = old.get(theirs)
        if not _number(value):
            continue
        if keyword == exclusive and theirs == inclusive:
            # old x >= v implies x > bound only when v > bound.
            if value > bound if lower else value < bound:
                return True
        elif value >= bound if lower else value <= bound:
            return True
    return False
