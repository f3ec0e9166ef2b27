"""``/docs/streams``: the AsyncAPI document rendered as one plain HTML page for people.

OpenAPI cannot describe a WebSocket, and the AsyncAPI web components load from a CDN;
this page is built on the server from the same document ``/asyncapi.json`` serves, with
no script and nothing remote, so it works offline and cannot drift from the document."""

from __future__ import annotations

import html
import json
import re
from typing import Any

_CODE = re.compile(r"`([^`]+)`")

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem}
h1,h2,h3{line-height:1.2}h2{margin-top:2.5rem;border-bottom:1px solid #d0d7de}
code,pre{font:13px ui-monospace,monospace;background:#f6f8fa;border-radius:4px}
code{padding:.1rem .3rem}pre{padding:.6rem;overflow:auto}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
td,th{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
nav a{margin-right:1rem}
"""


def _text(markdown: str) -> str:
    """The small Markdown the document uses: paragraphs, ``- `` lists and `code`."""
    blocks: list[str] = []
    items: list[str] = []
    for line in markdown.splitlines():
        escaped = _CODE.sub(r"<code>\1</code>", html.escape(line, quote=False))
        if line.startswith("- "):
            items.append(f"<li>{escaped[2:]}</li>")
            continue
        if items:
            blocks.append(f"<ul>{''.join(items)}</ul>")
            items = []
        if line.strip():
            blocks.append(f"<p>{escaped}</p>")
    if items:
        blocks.append(f"<ul>{''.join(items)}</ul>")
    return "".join(blocks)


def _inline(markdown: str) -> str:
    """One line of that Markdown, for a table cell or a sentence."""
    return _CODE.sub(r"<code>\1</code>", html.escape(" ".join(markdown.split()), quote=False))


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "const" in schema:
        return json.dumps(schema["const"])
    if "enum" in schema:
        return " | ".join(json.dumps(value) for value in schema["enum"])
    for union in ("anyOf", "oneOf"):
        if union in schema:
            return " | ".join(_type(option) for option in schema[union])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        kind = " | ".join(kind)
    if kind == "array" and "items" in schema:
        return f"array of {_type(schema['items'])}"
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return str(kind)


def _fields(schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    rows = "".join(
        f"<tr><td><code>{html.escape(name)}</code>{' (required)' if name in required else ''}"
        f"</td><td>{html.escape(_type(field))}</td>"
        f"<td>{_inline(str(field.get('description', '')))}</td></tr>"
        for name, field in schema.get("properties", {}).items()
    )
    head = "<tr><th>field</th><th>type</th><th>meaning</th></tr>"
    return f"<table>{head}{rows}</table>" if rows else ""


def _resolve(document: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    assert isinstance(node, dict)
    return node


def _message(document: dict[str, Any], message: dict[str, Any]) -> str:
    if "$ref" in message:
        message = _resolve(document, message["$ref"])
    payload = message["payload"]
    schema = _resolve(document, payload["$ref"]) if "$ref" in payload else payload
    name = html.escape(message.get("name", ""))
    sse = message.get("x-sse-event")
    sse_note = f" — SSE <code>event: {html.escape(sse)}</code>" if sse else ""
    parts = [
        f"<h3 id='{name}'>{name}</h3>",
        f"<p>{_inline(str(message.get('summary', '')))}{sse_note}</p>",
        _text(str(schema.get("description", ""))),
        _fields(schema),
    ]
    for example in message.get("examples", []):
        body = html.escape(json.dumps(example["payload"], indent=2))
        parts.append(f"<p>Example:</p><pre>{body}</pre>")
    return "".join(parts)


def render(document: dict[str, Any]) -> str:
    """The page for one AsyncAPI 3.0 document (``asyncapi.document.build``)."""
    info = document["info"]
    security = document["components"]["securitySchemes"]
    sections = [
        f"<h1>{html.escape(info['title'])} {html.escape(info['version'])}</h1>",
        "<nav><a href='/docs'>HTTP API (/docs)</a><a href='/asyncapi.json'>"
        "/asyncapi.json (AsyncAPI 3.0)</a><a href='/openapi.json'>/openapi.json</a></nav>",
        _text(info.get("description", "")),
        "<ul>"
        + "".join(
            f"<li><a href='#{html.escape(channel_id)}'>{_inline(channel['title'])}</a> "
            f"<code>{html.escape(channel['address'])}</code></li>"
            for channel_id, channel in document["channels"].items()
        )
        + "</ul>",
        "<h2 id='auth'>Authentication</h2>",
        *(_text(scheme.get("description", "")) for scheme in security.values()),
    ]
    for channel_id, channel in document["channels"].items():
        address = html.escape(channel["address"])
        sections.append(f"<h2 id='{html.escape(channel_id)}'>{_inline(channel['title'])}</h2>")
        sections.append(f"<p><code>{address}</code></p>")
        sections.append(_text(channel.get("description", "")))
        query = channel.get("x-query") or channel.get("bindings", {}).get("ws", {}).get("query")
        if query:
            sections.append("<p>Query parameters:</p>" + _fields(query))
        for message in channel.get("messages", {}).values():
            sections.append(_message(document, message))
    body = "".join(sections)
    title = html.escape(info["title"])
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title}</title><style>{_STYLE}</style></head><body>{body}</body></html>"
    )
