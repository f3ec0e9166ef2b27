"""Every operation in ``/openapi.json`` is documented: a summary written for it (not the one
FastAPI derives from the function's name), a description, and — where it takes or answers
JSON — an example that the operation's own schema accepts."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jsonschema_rs

METHODS = ("get", "put", "post", "delete", "patch")


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _derived_summary(path: str, method: str, operation: dict[str, Any]) -> str | None:
    """The summary FastAPI makes from the function's name when none is given
    (``list_topics`` → "List Topics"), read back from the operation id it also derives."""
    suffix = re.sub(r"\W", "_", path) + f"_{method}"
    operation_id = str(operation.get("operationId", ""))
    if not operation_id.endswith(suffix):
        return None
    return operation_id.removesuffix(suffix).replace("_", " ").title()


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _examples(spec: dict[str, Any], media: dict[str, Any]) -> list[Any]:
    """The examples a reader sees for a JSON body: the media type's own, else its schema's
    (following ``$ref``), else — for a list — its items'."""
    if "example" in media:
        return [media["example"]]
    if "examples" in media:
        return [example["value"] for example in media["examples"].values()]
    schema = _resolve(spec, media.get("schema", {}))
    if "examples" in schema:
        return list(schema["examples"])
    if schema.get("type") == "array":
        items = _resolve(spec, schema.get("items", {}))
        return [[example] for example in items.get("examples", [])]
    return []


def _problems(spec: dict[str, Any], where: str, media: dict[str, Any]) -> list[str]:
    examples = _examples(spec, media)
    if not examples:
        return [f"{where}: no example"]
    # Validate inside the document so "#/components/schemas/…" references resolve.
    validator = jsonschema_rs.Draft202012Validator(
        {"components": spec["components"], **media.get("schema", {})}
    )
    return [
        f"{where}: example {index} does not match its schema: {error.message}"
        for index, example in enumerate(examples)
        for error in list(validator.iter_errors(example))[:1]
    ]


async def test_every_operation_has_a_summary_a_description_and_json_examples(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    operations = _operations(spec)
    assert len(operations) >= 60
    problems: list[str] = []
    for path, method, operation in operations:
        name = f"{method.upper()} {path}"
        summary = operation.get("summary", "").strip()
        if not summary or summary == _derived_summary(path, method, operation):
            problems.append(f"{name}: no summary written for it")
        if not operation.get("description", "").strip():
            problems.append(f"{name}: no description")
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            problems += _problems(spec, f"{name} request", body)
        for status, response in operation.get("responses", {}).items():
            media = response.get("content", {}).get("application/json")
            if status.startswith("2") and media is not None:
                problems += _problems(spec, f"{name} {status} response", media)
    # How to fix each: `summary=` on the route decorator, a docstring on the endpoint, and
    # `model_config = ConfigDict(json_schema_extra={"examples": [...]})` on the request or
    # response model (or `responses={200: {"content": {"application/json": {"example":
    # ...}}}}` for a plain dict answer).
    assert not problems, "\n".join(problems)


async def test_every_model_example_matches_its_own_schema(client: httpx.AsyncClient) -> None:
    """Models used only in error answers (the envelope) or nested ones have examples too."""
    spec = (await client.get("/openapi.json")).json()
    problems: list[str] = []
    for name, schema in spec["components"]["schemas"].items():
        if "examples" in schema:
            ref = {"schema": {"$ref": f"#/components/schemas/{name}"}}
            problems += _problems(spec, name, ref)
    assert "examples" in spec["components"]["schemas"]["ErrorEnvelope"]
    assert not problems, "\n".join(problems)
