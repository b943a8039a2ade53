"""The control plane every simulator shares: health, fault switches, reset and erasure requests.

``GET /healthz``, ``GET|POST /admin/faults``, ``POST /admin/reset``, ``POST /admin/erasure`` and
``GET /admin/erasures`` answer the same way on every system, bad input included
(``400 {"error": "INVALID_INPUT", "field": ..., "message": ...}``). Faults never apply here. This
module must never reach into a system's business state except through the reset hook it is given.

``POST /privacy/erasures`` ``{identifiers: [{kind, value}], reference?}`` is the same erasure
request as a system's own API takes it from the gateway (GDPR, issue 6): outside the control
plane, so faults apply to it; a ``reference`` already recorded answers its first record (200).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from simulators._clock import iso, utc_now
from simulators._errors import AdminInputError
from simulators._faults import FAULTS

MAX_ERASURE_IDENTIFIERS = 100

SYSTEM_NAME = web.AppKey("system_name", str)
RESET_STATE = web.AppKey[Callable[[], None]]("reset_state")


@dataclass
class ErasureLog:
    """GDPR erasure requests a system has received, oldest first (recorded, not yet acted on).

    Example:
        >>> log = ErasureLog()
        >>> log.record([{"kind": "email", "value": "a@example.com"}])["erasureId"]
        'ER-000001'
    """

    records: list[dict[str, Any]] = field(default_factory=list)

    def record(
        self, identifiers: list[dict[str, str]], reference: str | None = None
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "erasureId": f"ER-{len(self.records) + 1:06d}",
            "receivedAt": iso(utc_now()),
            "status": "RECORDED",
            "identifiers": identifiers,
        }
        if reference is not None:
            entry["reference"] = reference
        self.records.append(entry)
        return entry

    def by_reference(self, reference: str) -> dict[str, Any] | None:
        return next((r for r in self.records if r.get("reference") == reference), None)


ERASURES = web.AppKey("erasures", ErasureLog)

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "system": request.app[SYSTEM_NAME]})


@routes.get("/admin/faults")
async def show_faults(request: web.Request) -> web.Response:
    return web.json_response(request.app[FAULTS].as_json())


@routes.post("/admin/faults")
async def switch_faults(request: web.Request) -> web.Response:
    faults = request.app[FAULTS]
    faults.update(await admin_body(request))
    return web.json_response(faults.as_json())


@routes.post("/admin/reset")
async def reset(request: web.Request) -> web.Response:
    app = request.app
    app[FAULTS].clear()
    app[ERASURES].records.clear()
    app[RESET_STATE]()
    return web.json_response({"status": "reset", "faults": app[FAULTS].as_json()})


@routes.post("/admin/erasure")
async def request_erasure(request: web.Request) -> web.Response:
    identifiers = _identifiers(await admin_body(request))
    return web.json_response(request.app[ERASURES].record(identifiers), status=202)


@routes.post("/privacy/erasures")
async def receive_erasure(request: web.Request) -> web.Response:
    body = await admin_body(request)
    identifiers = _identifiers(body)
    reference = body.get("reference")
    if reference is not None and (not isinstance(reference, str) or not reference.strip()):
        raise AdminInputError("reference", "must be a non-empty string")
    log = request.app[ERASURES]
    earlier = log.by_reference(reference) if reference else None
    if earlier is not None:
        return web.json_response(earlier, status=200)
    return web.json_response(log.record(identifiers, reference), status=202)


@routes.get("/admin/erasures")
async def list_erasures(request: web.Request) -> web.Response:
    return web.json_response({"erasures": request.app[ERASURES].records})


async def admin_body(request: web.Request) -> Any:
    """The request's JSON body, whatever its Content-Type (``curl -d`` sends a form type)."""
    try:
        return json.loads(await request.read() or b"null")
    except ValueError as exc:
        raise AdminInputError("body", "must be valid JSON") from exc


def _identifiers(body: Any) -> list[dict[str, str]]:
    if not isinstance(body, dict):
        raise AdminInputError("body", "must be a JSON object")
    identifiers = body.get("identifiers")
    if not isinstance(identifiers, list) or not identifiers:
        raise AdminInputError("identifiers", "must be a non-empty list of {kind, value}")
    if len(identifiers) > MAX_ERASURE_IDENTIFIERS:
        raise AdminInputError("identifiers", f"at most {MAX_ERASURE_IDENTIFIERS} per request")
    parsed = []
    for n, item in enumerate(identifiers):
        if not isinstance(item, dict):
            raise AdminInputError(f"identifiers[{n}]", "must be an object {kind, value}")
        for key in ("kind", "value"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise AdminInputError(f"identifiers[{n}].{key}", "must be a non-empty string")
        parsed.append({"kind": item["kind"], "value": item["value"]})
    return parsed
