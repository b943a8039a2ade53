"""The OMS simulator: orders, availability (online and per store) and click & collect holds.

API (JSON; errors ``{"errors": [{"code": "...", "detail": "..."}]}``; the customer key is the
email):

- ``GET /oms/orders?customerEmail=...&page&pageSize``, or ``?customerEmails=A,B`` (at most 20,
  400 beyond) for the orders of several emails as one list → ``{"items": [Order], "page",
  "pageSize", "total"}``, newest first, ties by ``orderId`` (also descending), ``total`` over
  every email asked (an unknown email has no orders); Order = ``{orderId, customerEmail,
  createdAt, status, fulfilment: {type: DELIVERY|CLICK_AND_COLLECT, storeId?}, lines: [{sku, qty,
  unitPrice}], total, timeline: [{status, at}], eventId}``
- ``GET /oms/orders/{orderId}`` → Order (404 ``ORDER_NOT_FOUND``)
- ``POST /oms/orders`` ``{customerEmail, lines: [{sku, qty}], fulfilment?: {type, storeId?}}``
  with an ``Idempotency-Key`` header (400 without) → 201 Order with status ``CREATED``; the same
  key and body again → 200 and the same order; the same key with another body → 422
  ``IDEMPOTENCY_KEY_REUSED``; 409 ``OUT_OF_STOCK`` when stock (online, or the store's) is short;
  with a webhook URL configured, a new order posts a signed ``purchase`` event (its ``eventId``,
  the email, the first line's SKU) to ``<webhook URL>/web`` in the background; a new order's id
  (``ORD-<run>-<n>``) and event id carry a mark of this run, since the state lives in memory
  and a restarted simulator counts again from the seeded orders
- ``POST /oms/orders/{orderId}/advance`` → 200 Order moved to its next status (CREATED →
  CONFIRMED → SHIPPED → DELIVERED, or → READY_FOR_PICKUP → COLLECTED for click & collect); 409
  ``ORDER_CLOSED`` at the end; with a webhook URL, posts a signed ``order_status`` event
  ``{orderId, status}`` (id ``evt-oms-<orderId>-<n>``, so a replay is recognised)
- ``GET /oms/availability?skus=A,B&storeIds=ST001,ST002`` → ``{"availability": [{sku, online,
  stores: [{storeId, available}]}]}``; every store when ``storeIds`` is absent; unknown ids left out
- ``POST /oms/reservations`` ``{sku, storeId, qty, customerEmail}`` → 201 ``{reservationId, sku,
  storeId, qty, customerEmail, status: "HELD", createdAt, expiresAt}`` (409 ``NOT_AVAILABLE``);
  ``GET /oms/reservations/{reservationId}`` reads one back; at ``expiresAt`` (24 h on) a hold's
  units are back in the store and it reads ``status: "EXPIRED"``

Never imported by product code: the gateway reaches it over HTTP only.
"""

from __future__ import annotations

import json
import random
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiohttp import web

from simulators._clock import iso, utc_now
from simulators._config import SimulatorConfig
from simulators._dataset import Dataset, load_dataset
from simulators._errors import SimulatorError
from simulators._oms_inventory import Inventory, ShortStock, seeded_inventory
from simulators._oms_orders import CLICK_AND_COLLECT, DELIVERY, Order, next_status, seeded_orders
from simulators._pagination import PageRequest
from simulators._requests import (
    bad_request,
    field_int,
    field_lines,
    field_str,
    json_object,
    query_ids,
    query_str,
)
from simulators._state import SeededState
from simulators._system import SystemSpec, build_app
from simulators._webhooks import attach_webhooks, emit

RESERVATION_HOLD = timedelta(hours=24)
MAX_EMAILS_PER_CALL = 20
MAX_IDEMPOTENCY_KEY = 255
CHANNEL = "web"  # orders are ingested as web purchases


@dataclass
class OmsState:
    """Orders (by id and by email, newest first), inventory, holds and idempotency records.

    Example:
        >>> state = build_state(SimulatorConfig(customers=50))
        >>> first = state.orders["ORD-0000001"]
        >>> first in state.by_email[first.customer_email], first.timeline[0][0]
        (True, 'CREATED')
    """

    dataset: Dataset
    inventory: Inventory
    orders: dict[str, Order] = field(default_factory=dict)
    by_email: dict[str, list[Order]] = field(default_factory=dict)
    reservations: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Idempotency-Key → (request fingerprint, order id)
    idempotency: dict[str, tuple[str, str]] = field(default_factory=dict)
    # This run's mark on the orders it takes: the state lives in memory, so a restarted simulator
    # counts again from the seeded orders, and without it would issue an order id and event id
    # an earlier run already gave (which the gateway, holding that event, drops as a duplicate).
    run: str = field(default_factory=lambda: secrets.token_hex(3))

    def add(self, order: Order) -> None:
        self.orders[order.order_id] = order
        self.by_email.setdefault(order.customer_email, []).insert(0, order)


def build_state(config: SimulatorConfig) -> OmsState:
    dataset = load_dataset(config.seed, config.customers)
    rng = random.Random(f"oms:{config.seed}")  # noqa: S311 - seeded demo data, not secrecy
    state = OmsState(dataset=dataset, inventory=seeded_inventory(dataset, rng))
    for order in sorted(seeded_orders(dataset, rng), key=lambda order: order.created_at):
        state.add(order)
    return state


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"errors": [{"code": code, "detail": message}]}


STATE = web.AppKey[SeededState[OmsState]]("oms_state")
routes = web.RouteTableDef()


def _state(request: web.Request) -> OmsState:
    state = request.app[STATE].current
    _release_expired_holds(state)
    return state


def _release_expired_holds(state: OmsState) -> None:
    """Give a hold's units back to its store once its expiry is reached, once: it then reads
    ``EXPIRED``. Checked as each request starts, so every answer sees the shelf as it is now."""
    now = iso(utc_now())  # one format throughout, so the text compares as the instant does
    for hold in state.reservations.values():
        if hold["status"] == "HELD" and hold["expiresAt"] <= now:
            state.inventory.give_back({hold["sku"]: hold["qty"]}, hold["storeId"])
            hold["status"] = "EXPIRED"


@routes.get("/oms/orders")
async def list_orders(request: web.Request) -> web.Response:
    if "customerEmails" in request.query:
        emails = query_ids(request, "customerEmails", at_most=MAX_EMAILS_PER_CALL)
    else:
        emails = [query_str(request, "customerEmail")]
    page = PageRequest.from_query(request)
    by_email = _state(request).by_email
    orders = [order for email in emails for order in by_email.get(email, [])]
    # One order for several emails: newest first, ties by id, so pages of the union never overlap.
    orders.sort(key=lambda order: (order.created_at, order.order_id), reverse=True)
    return web.json_response(page.envelope(orders, Order.as_json))


@routes.get("/oms/orders/{orderId}")
async def show_order(request: web.Request) -> web.Response:
    order_id = request.match_info["orderId"]
    order = _state(request).orders.get(order_id)
    if order is None:
        raise SimulatorError(404, "ORDER_NOT_FOUND", f"no order {order_id}")
    return web.json_response(order.as_json())


@routes.post("/oms/orders")
async def create_order(request: web.Request) -> web.Response:
    state = _state(request)
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY:
        raise bad_request(
            "an Idempotency-Key header (1 to 255 characters) is required",
            "IDEMPOTENCY_KEY_REQUIRED",
        )
    body = await json_object(request)
    fingerprint = json.dumps(body, sort_keys=True, separators=(",", ":"))
    if key in state.idempotency:
        seen, order_id = state.idempotency[key]
        if seen != fingerprint:
            raise SimulatorError(
                422, "IDEMPOTENCY_KEY_REUSED", f"key {key} was used for a different order"
            )
        return web.json_response(state.orders[order_id].as_json(), status=200)
    order = _new_order(state, body)
    state.add(order)
    state.idempotency[key] = (fingerprint, order.order_id)
    emit(request.app, _purchase_event(order))
    return web.json_response(order.as_json(), status=201)


@routes.post("/oms/orders/{orderId}/advance")
async def advance_order(request: web.Request) -> web.Response:
    order_id = request.match_info["orderId"]
    order = _state(request).orders.get(order_id)
    if order is None:
        raise SimulatorError(404, "ORDER_NOT_FOUND", f"no order {order_id}")
    status = next_status(order)
    if status is None:
        raise SimulatorError(409, "ORDER_CLOSED", f"order {order_id} is {order.timeline[-1][0]}")
    order.timeline.append((status, utc_now()))
    emit(request.app, _status_event(order))
    return web.json_response(order.as_json())


def _status_event(order: Order) -> dict[str, Any]:
    status, at = order.timeline[-1]
    return {
        "id": f"evt-oms-{order.order_id}-{len(order.timeline)}",
        "type": "order_status",
        "at": iso(at),
        "identifiers": [{"kind": "email", "value": order.customer_email}],
        "orderId": order.order_id,
        "status": status,
    }


def _purchase_event(order: Order) -> dict[str, Any]:
    return {
        "id": order.event_id,
        "type": "purchase",
        "at": iso(order.created_at),
        "identifiers": [{"kind": "email", "value": order.customer_email}],
        "sku": order.lines[0][0],
    }


def _new_order(state: OmsState, body: dict[str, Any]) -> Order:
    email = _email(body)
    lines = field_lines(body)
    fulfilment = body.get("fulfilment", {"type": DELIVERY})
    if not isinstance(fulfilment, dict) or fulfilment.get("type") not in (
        DELIVERY,
        CLICK_AND_COLLECT,
    ):
        raise bad_request("fulfilment.type must be DELIVERY or CLICK_AND_COLLECT", "INVALID_FIELD")
    store_id = None
    if fulfilment["type"] == CLICK_AND_COLLECT:
        store_id = _known_store(state, fulfilment.get("storeId"), "fulfilment.storeId")
    wanted: Counter[str] = Counter()
    for sku, qty in lines:
        wanted[_known_sku(state, sku)] += qty
    try:
        state.inventory.take(wanted, store_id)
    except ShortStock as exc:
        raise SimulatorError(409, "OUT_OF_STOCK", f"not enough stock of {exc}") from exc
    prices = state.dataset.list_prices
    return Order(
        order_id=f"ORD-{state.run}-{len(state.orders) + 1:07d}",
        customer_email=email,
        fulfilment_type=fulfilment["type"],
        store_id=store_id,
        lines=[(sku, qty, prices[sku]) for sku, qty in lines],
        timeline=[("CREATED", utc_now())],
        event_id=f"evt-oms-{state.run}-{len(state.orders) + 1:07d}",
    )


@routes.get("/oms/availability")
async def show_availability(request: web.Request) -> web.Response:
    state = _state(request)
    asked = query_ids(request, "storeIds", required=False)
    store_ids = [store["id"] for store in state.dataset.stores]
    if asked:
        store_ids = [store_id for store_id in asked if state.dataset.has_store(store_id)]
    inventory = state.inventory
    availability = [
        {
            "sku": sku,
            "online": inventory.available(sku, None),
            "stores": [
                {"storeId": store_id, "available": inventory.available(sku, store_id)}
                for store_id in store_ids
            ],
        }
        for sku in query_ids(request, "skus")
        if sku in state.dataset.products_by_sku
    ]
    return web.json_response({"availability": availability})


@routes.post("/oms/reservations")
async def reserve(request: web.Request) -> web.Response:
    state = _state(request)
    body = await json_object(request)
    sku = _known_sku(state, field_str(body, "sku"))
    store_id = _known_store(state, body.get("storeId"), "storeId")
    qty = field_int(body, "qty", 1, 99)
    email = _email(body)
    try:
        state.inventory.take({sku: qty}, store_id)
    except ShortStock as exc:
        raise SimulatorError(409, "NOT_AVAILABLE", f"cannot hold {exc} at {store_id}") from exc
    now = utc_now()
    reservation_id = f"RSV-{len(state.reservations) + 1:07d}"
    reservation = {
        "reservationId": reservation_id,
        "sku": sku,
        "storeId": store_id,
        "qty": qty,
        "customerEmail": email,
        "status": "HELD",
        "createdAt": iso(now),
        "expiresAt": iso(now + RESERVATION_HOLD),
    }
    state.reservations[reservation_id] = reservation
    return web.json_response(reservation, status=201)


@routes.get("/oms/reservations/{reservationId}")
async def show_reservation(request: web.Request) -> web.Response:
    reservation_id = request.match_info["reservationId"]
    reservation = _state(request).reservations.get(reservation_id)
    if reservation is None:
        raise SimulatorError(404, "RESERVATION_NOT_FOUND", f"no reservation {reservation_id}")
    return web.json_response(reservation)


def _email(body: dict[str, Any]) -> str:
    email = field_str(body, "customerEmail")
    if "@" not in email:
        raise bad_request("customerEmail must be an email address", "INVALID_FIELD")
    return email


def _known_sku(state: OmsState, sku: str) -> str:
    if sku not in state.dataset.products_by_sku:
        raise bad_request(f"unknown sku {sku}", "INVALID_FIELD")
    return sku


def _known_store(state: OmsState, store_id: Any, name: str) -> str:
    if not isinstance(store_id, str) or not state.dataset.has_store(store_id):
        raise bad_request(f"{name} must be a known store id", "INVALID_FIELD")
    return store_id


SPEC = SystemSpec(
    name="oms",
    error_shape=error_body,
    state_key=STATE,
    build_state=build_state,
    routes=routes,
)


def create_app(config: SimulatorConfig | None = None) -> web.Application:
    """The order-management simulator, ready to serve (its state is built at start-up)."""
    config = config or SimulatorConfig()
    app = build_app(SPEC, config)
    attach_webhooks(app, config, CHANNEL)
    return app
