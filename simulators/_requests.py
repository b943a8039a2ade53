"""Strict readers for what clients send: query parameters and JSON bodies.

Each reader raises a 400 :class:`SimulatorError` naming the parameter or field, so every system
rejects bad input the same way in its own error shape. Readers must never look at system state:
whether an id exists is the handler's question (and its 404).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from simulators._errors import SimulatorError

MAX_IDS_PER_CALL = 100


def bad_request(message: str, code: str = "INVALID_PARAMETER") -> SimulatorError:
    return SimulatorError(400, code, message)


def query_ids(
    request: web.Request, name: str, *, required: bool = True, at_most: int = MAX_IDS_PER_CALL
) -> list[str]:
    """A comma-separated id list (``skus=A,B``), de-duplicated in order, at most ``at_most``."""
    raw = request.query.get(name, "")
    ids = list(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    if required and not ids:
        raise bad_request(f"{name} is required (comma-separated)", "MISSING_PARAMETER")
    if len(ids) > at_most:
        raise bad_request(f"{name} takes at most {at_most} values")
    return ids


def query_str(request: web.Request, name: str) -> str:
    value = request.query.get(name, "").strip()
    if not value:
        raise bad_request(f"{name} is required", "MISSING_PARAMETER")
    return value


async def json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read() or b"null")
    except ValueError as exc:
        raise bad_request("the body must be valid JSON", "INVALID_BODY") from exc
    if not isinstance(body, dict):
        raise bad_request("the body must be a JSON object", "INVALID_BODY")
    return body


def field_str(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"{name} must be a non-empty string", "INVALID_FIELD")
    return value.strip()


def field_int(body: dict[str, Any], name: str, low: int, high: int) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise bad_request(f"{name} must be an integer from {low} to {high}", "INVALID_FIELD")
    return value


def field_lines(body: dict[str, Any], max_lines: int = 50) -> list[tuple[str, int]]:
    """``lines: [{sku, qty}]`` as ``(sku, qty)`` pairs, one to ``max_lines`` of them."""
    lines = body.get("lines")
    if not isinstance(lines, list) or not 1 <= len(lines) <= max_lines:
        raise bad_request(f"lines must be a list of 1 to {max_lines} {{sku, qty}}", "INVALID_FIELD")
    parsed = []
    for n, line in enumerate(lines):
        if not isinstance(line, dict):
            raise bad_request(f"lines[{n}] must be an object {{sku, qty}}", "INVALID_FIELD")
        try:
            parsed.append((field_str(line, "sku"), field_int(line, "qty", 1, 99)))
        except SimulatorError as exc:
            raise bad_request(f"lines[{n}].{exc.message}", "INVALID_FIELD") from exc
    return parsed
