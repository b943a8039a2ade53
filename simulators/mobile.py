"""The mobile-backend simulator: app installs, their devices and push tokens, and push sending.

API (JSON; errors ``{"message": "..."}``; the customer key is the app install id, identity kind
``app_install_id``, e.g. ``app-c845e275d057-0``, whose device is ``dev-c845e275d057-0``):

- ``GET /mobile/devices?installId=...`` or ``?installIds=A,B`` (at most 100) → ``{"devices":
  [Device]}``, the devices of every install asked, in the order asked (none for an unknown
  install); Device = ``{deviceId, installId, platform: ios|android, pushToken: str | null,
  registeredAt, formFactor: phone|tablet, appVersion}``
- ``GET /mobile/devices/{deviceId}`` → Device (404)
- ``POST /mobile/push`` ``{deviceId, title, body}`` → 202 ``{notificationId, status: "QUEUED"}``;
  404 for an unknown device, 409 when the device has no push token (notifications declined)
- ``GET /mobile/outbox?page&pageSize`` → ``{"items": [{notificationId, deviceId, installId, title,
  body, sentAt, status: "SENT"}], "page", "pageSize", "total"}``, newest first

Devices are the dataset's devices; about one in ten declined notifications. The outbox starts
empty. Never imported by product code: the gateway reaches it over HTTP only.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from simulators._clock import iso, utc_now
from simulators._config import SimulatorConfig
from simulators._dataset import load_dataset
from simulators._errors import SimulatorError
from simulators._pagination import PageRequest
from simulators._requests import bad_request, field_str, json_object, query_ids, query_str
from simulators._state import SeededState
from simulators._system import SystemSpec, build_app

MAX_TITLE = 100
MAX_BODY = 1000
_APP_VERSIONS = ("5.12.0", "5.13.1", "5.14.0", "5.14.2")


@dataclass
class MobileState:
    """Devices by id and by install id, and the notifications sent (newest first).

    Example:
        >>> state = build_state(SimulatorConfig(customers=1))
        >>> state.by_install["app-c845e275d057-0"]
        ['dev-c845e275d057-0']
    """

    devices: dict[str, dict[str, Any]]
    by_install: dict[str, list[str]]
    outbox: list[dict[str, Any]] = field(default_factory=list)


def build_state(config: SimulatorConfig) -> MobileState:
    dataset = load_dataset(config.seed, config.customers)
    rng = random.Random(f"mobile:{config.seed}")  # noqa: S311 - seeded demo data, not secrecy
    state = MobileState(devices={}, by_install={})
    for customer in dataset.customers:
        installs = {
            row["value"]: row["since"] for row in customer.identities.get("app_install_id", ())
        }
        for device in customer.devices:
            install_id = "app-" + device["id"].removeprefix("dev-")
            token = None
            if rng.random() >= 0.1:
                token = f"{device['os']}:{rng.getrandbits(128):032x}"
            state.devices[device["id"]] = {
                "deviceId": device["id"],
                "installId": install_id,
                "platform": device["os"],
                "pushToken": token,
                "registeredAt": iso(installs.get(install_id, customer.created_at)),
                "formFactor": device["kind"],
                "appVersion": rng.choice(_APP_VERSIONS),
            }
            state.by_install.setdefault(install_id, []).append(device["id"])
    return state


def error_body(code: str, message: str) -> dict[str, Any]:
    del code  # this backend reports a message only
    return {"message": message}


STATE = web.AppKey[SeededState[MobileState]]("mobile_state")
routes = web.RouteTableDef()


def _state(request: web.Request) -> MobileState:
    return request.app[STATE].current


def _device(state: MobileState, device_id: str) -> dict[str, Any]:
    device = state.devices.get(device_id)
    if device is None:
        raise SimulatorError(404, "DEVICE_NOT_FOUND", f"device {device_id} not found")
    return device


@routes.get("/mobile/devices")
async def list_devices(request: web.Request) -> web.Response:
    state = _state(request)
    if "installIds" in request.query:
        installs = query_ids(request, "installIds")
    else:
        installs = [query_str(request, "installId")]
    device_ids = [d for install in installs for d in state.by_install.get(install, [])]
    return web.json_response({"devices": [state.devices[d] for d in device_ids]})


@routes.get("/mobile/devices/{deviceId}")
async def show_device(request: web.Request) -> web.Response:
    return web.json_response(_device(_state(request), request.match_info["deviceId"]))


@routes.post("/mobile/push")
async def push(request: web.Request) -> web.Response:
    state = _state(request)
    body = await json_object(request)
    device = _device(state, field_str(body, "deviceId"))
    title, text = field_str(body, "title"), field_str(body, "body")
    if len(title) > MAX_TITLE or len(text) > MAX_BODY:
        raise bad_request(f"title is at most {MAX_TITLE} characters, body {MAX_BODY}")
    if device["pushToken"] is None:
        raise SimulatorError(409, "PUSH_DISABLED", "this device declined notifications")
    notification_id = f"ntf-{len(state.outbox) + 1:07d}"
    state.outbox.insert(
        0,
        {
            "notificationId": notification_id,
            "deviceId": device["deviceId"],
            "installId": device["installId"],
            "title": title,
            "body": text,
            "sentAt": iso(utc_now()),
            "status": "SENT",
        },
    )
    return web.json_response({"notificationId": notification_id, "status": "QUEUED"}, status=202)


@routes.get("/mobile/outbox")
async def list_outbox(request: web.Request) -> web.Response:
    outbox = _state(request).outbox
    return web.json_response(PageRequest.from_query(request).envelope(outbox, dict))


SPEC = SystemSpec(
    name="mobile",
    error_shape=error_body,
    state_key=STATE,
    build_state=build_state,
    routes=routes,
)


def create_app(config: SimulatorConfig | None = None) -> web.Application:
    """The mobile-backend simulator, ready to serve (its state is built at start-up)."""
    return build_app(SPEC, config or SimulatorConfig())
