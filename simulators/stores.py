"""The stores simulator: the point-of-sale system's stores, shelf stock, receipts and notes.

API (JSON; errors ``{"status": "ERROR", "reason": "..."}``; the customer key is the POS customer
number, identity kind ``pos_customer_number``, e.g. ``POS-ST003-0000012``):

- ``GET /pos/stores`` → ``{"stores": [{storeId, name, city}]}``
- ``GET /pos/stores/{storeId}/stock?skus=A,B`` (1 to 100) → ``{"storeId", "stock": [{sku,
  onHand}]}``; unknown SKUs are left out
- ``GET /pos/customers/{posNumber}/receipts?page&pageSize`` → ``{"items": [Receipt], "page",
  "pageSize", "total"}``, newest first; Receipt = ``{receiptId, storeId, at, lines: [{sku, qty,
  unitPrice}], total, eventId}``
- ``GET /pos/customers/{posNumber}/notes?limit`` → ``{"posNumber", "notes": [{noteId, storeId,
  author, at, text}], "total"}``, newest first (clienteling notes); ``limit`` (1 to 100) keeps
  only that many of the newest, ``total`` says how many there are
- ``POST /pos/receipts`` ``{posNumber, storeId, lines: [{sku, qty}]}`` → 201 Receipt; takes the
  units off the shelf, all lines or none (409 when any is short); with a webhook URL configured,
  a signed ``purchase`` event (the receipt's ``eventId``, the POS number, the first line's SKU,
  the store) is then posted to ``<webhook URL>/store`` in the background; its id
  (``RCP-<store>-<run>-<n>``) carries a mark of this run, since the state lives in memory and a
  restarted simulator counts again
- ``POST /pos/visits`` ``{posNumber, storeId, author, notes?, triedSkus?: [sku]}`` → 201 ``{visitId,
  storeId, at, note, eventIds}``: an assistant records a customer's visit, the notes they took
  (kept as a clienteling note) and the products tried (up to 20); a signed batch (one
  ``store_visit`` event with the notes, then one ``view`` per product tried, a minute apart, the
  last one now) is posted to ``<webhook URL>/store``

Seeded receipts are the dataset's in-store purchases (``eventId`` is the interaction id), priced
at list price. Never imported by product code: the gateway reaches it over HTTP only.
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from simulators._clock import iso, utc_now
from simulators._config import SimulatorConfig
from simulators._dataset import Dataset, Row, load_dataset
from simulators._errors import SimulatorError
from simulators._pagination import MAX_PAGE_SIZE, PageRequest, bounded_int
from simulators._requests import bad_request, field_lines, field_str, json_object, query_ids
from simulators._state import SeededState
from simulators._system import SystemSpec, build_app
from simulators._webhooks import attach_webhooks, emit

CHANNEL = "store"  # the channel this system's events are ingested under

_NOTE_AUTHORS = ("Camille", "Hugo", "Inès", "Julien", "Léa", "Mathis", "Sarah")
_NOTE_TEXTS = (
    "Prefers natural materials; asked about the linen range.",
    "Measuring the living room for a corner sofa, will come back with the plans.",
    "Feather allergy: synthetic fillings only.",
    "Fan of {brand}: call when the new collection lands.",
    "Fourth floor without a lift: book two carriers for deliveries.",
    "Interested in the home-visit design service.",
    "Returned a lamp last time (colour): show swatches before buying.",
)


@dataclass
class Receipt:
    """A till receipt: where, when, what at which unit price.

    Example:
        >>> from datetime import UTC
        >>> at = datetime(2026, 10, 1, 15, 30, tzinfo=UTC)
        >>> receipt = Receipt("RCP-ST001-0000001", "ST001", at, [("SKU-00001", 2, 4.5)], "evt-1")
        >>> receipt.as_json()["total"]
        9.0
    """

    receipt_id: str
    store_id: str
    at: datetime
    lines: list[tuple[str, int, float]]
    event_id: str

    def as_json(self) -> dict[str, Any]:
        return {
            "receiptId": self.receipt_id,
            "storeId": self.store_id,
            "at": iso(self.at),
            "lines": [{"sku": s, "qty": q, "unitPrice": p} for s, q, p in self.lines],
            "total": round(sum(qty * price for _, qty, price in self.lines), 2),
            "eventId": self.event_id,
        }


@dataclass
class StoresState:
    """Stores, stock per ``(storeId, sku)``, and receipts and notes per POS number.

    Example:
        >>> state = build_state(SimulatorConfig(customers=50))
        >>> sorted(state.stores)[:2], state.stock["ST001", "SKU-00001"] >= 0
        (['ST001', 'ST002'], True)
    """

    dataset: Dataset
    stores: dict[str, Row]
    stock: dict[tuple[str, str], int]
    receipts: dict[str, list[Receipt]] = field(default_factory=dict)
    notes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    receipts_issued: int = 0
    # This run's mark on the receipts it issues (the seeded ones keep their ids): the state lives
    # in memory, so a restarted simulator counts again, and without it would issue a receipt id
    # and event id an earlier run already gave (which the gateway drops as a duplicate).
    run: str = field(default_factory=lambda: secrets.token_hex(3))

    def issue_receipt(
        self,
        store_id: str,
        at: datetime,
        lines: list[tuple[str, int]],
        event_id: str | None = None,
    ) -> Receipt:
        """A new receipt, priced at list price; its event id is its own unless it replays one."""
        self.receipts_issued += 1
        number = f"{self.receipts_issued:07d}"
        receipt_id = f"RCP-{store_id}-{number if event_id else f'{self.run}-{number}'}"
        priced = [(sku, qty, self.dataset.list_prices[sku]) for sku, qty in lines]
        return Receipt(receipt_id, store_id, at, priced, event_id or f"evt-pos-{receipt_id}")


def build_state(config: SimulatorConfig) -> StoresState:
    dataset = load_dataset(config.seed, config.customers)
    rng = random.Random(f"stores:{config.seed}")  # noqa: S311 - seeded demo data, not secrecy
    state = StoresState(
        dataset=dataset,
        stores={store["id"]: store for store in dataset.stores},
        stock=dict(dataset.store_stock),
    )
    skus = [product["sku"] for product in dataset.products]
    for customer in dataset.customers:
        pos_number = customer.identity("pos_customer_number")
        if pos_number is None:
            continue
        receipts = []
        for purchase in customer.activity("store", kind="purchase"):
            lines = [(purchase["sku"], rng.choice((1, 1, 1, 2)))]
            lines += [(rng.choice(skus), 1) for _ in range(rng.choice((0, 0, 1, 2)))]
            receipts.append(
                state.issue_receipt(purchase["storeId"], purchase["at"], lines, purchase["id"])
            )
        state.receipts[pos_number] = receipts[::-1]
        state.notes[pos_number] = _notes(rng, dataset, pos_number, customer.created_at)
    return state


def _notes(
    rng: random.Random, dataset: Dataset, pos_number: str, since: datetime
) -> list[dict[str, Any]]:
    store_id = pos_number.split("-")[1]
    notes = []
    for n in range(rng.choice((0, 0, 1, 1, 2, 3))):
        at = since + timedelta(days=rng.randint(1, 400), minutes=rng.randint(540, 1140))
        text = rng.choice(_NOTE_TEXTS).format(brand=rng.choice(dataset.products)["brand"])
        notes.append(
            {
                "noteId": f"NOTE-{pos_number[4:]}-{n + 1}",
                "storeId": store_id,
                "author": rng.choice(_NOTE_AUTHORS),
                "at": iso(at),
                "text": text,
            }
        )
    return sorted(notes, key=lambda note: note["at"], reverse=True)


def error_body(code: str, message: str) -> dict[str, Any]:
    del code  # this POS reports a human reason only, like many real ones
    return {"status": "ERROR", "reason": message}


STATE = web.AppKey[SeededState[StoresState]]("stores_state")
routes = web.RouteTableDef()


def _state(request: web.Request) -> StoresState:
    return request.app[STATE].current


def _store_id(state: StoresState, store_id: str) -> str:
    if store_id not in state.stores:
        raise SimulatorError(404, "STORE_NOT_FOUND", f"unknown store {store_id}")
    return store_id


def _pos_number(state: StoresState, pos_number: str) -> str:
    if pos_number not in state.receipts:
        raise SimulatorError(404, "CUSTOMER_NOT_FOUND", f"unknown customer {pos_number}")
    return pos_number


@routes.get("/pos/stores")
async def list_stores(request: web.Request) -> web.Response:
    stores = [
        {"storeId": s["id"], "name": s["name"], "city": s["city"]}
        for s in _state(request).stores.values()
    ]
    return web.json_response({"stores": stores})


@routes.get("/pos/stores/{storeId}/stock")
async def show_stock(request: web.Request) -> web.Response:
    state = _state(request)
    store_id = _store_id(state, request.match_info["storeId"])
    stock = [
        {"sku": sku, "onHand": state.stock[store_id, sku]}
        for sku in query_ids(request, "skus")
        if (store_id, sku) in state.stock
    ]
    return web.json_response({"storeId": store_id, "stock": stock})


@routes.get("/pos/customers/{posNumber}/receipts")
async def list_receipts(request: web.Request) -> web.Response:
    state = _state(request)
    page = PageRequest.from_query(request)
    receipts = state.receipts[_pos_number(state, request.match_info["posNumber"])]
    return web.json_response(page.envelope(receipts, Receipt.as_json))


@routes.get("/pos/customers/{posNumber}/notes")
async def list_notes(request: web.Request) -> web.Response:
    state = _state(request)
    pos_number = _pos_number(state, request.match_info["posNumber"])
    notes = state.notes[pos_number]
    limit = bounded_int(request, "limit", len(notes), 1, MAX_PAGE_SIZE)
    return web.json_response({"posNumber": pos_number, "notes": notes[:limit], "total": len(notes)})


@routes.post("/pos/receipts")
async def record_purchase(request: web.Request) -> web.Response:
    state = _state(request)
    body = await json_object(request)
    pos_number = _pos_number(state, field_str(body, "posNumber"))
    store_id = _store_id(state, field_str(body, "storeId"))
    lines = field_lines(body)
    wanted: Counter[str] = Counter()
    for sku, qty in lines:
        if sku not in state.dataset.products_by_sku:
            raise bad_request(f"unknown sku {sku}", "INVALID_FIELD")
        wanted[sku] += qty
    for sku, qty in wanted.items():
        if state.stock[store_id, sku] < qty:
            raise SimulatorError(
                409,
                "INSUFFICIENT_STOCK",
                f"insufficient stock of {sku} at {store_id}: "
                f"{state.stock[store_id, sku]} on hand, {qty} asked",
            )
    for sku, qty in wanted.items():
        state.stock[store_id, sku] -= qty
    receipt = state.issue_receipt(store_id, utc_now(), lines)
    state.receipts[pos_number].insert(0, receipt)
    emit(request.app, _purchase_event(receipt, pos_number))
    return web.json_response(receipt.as_json(), status=201)


MAX_TRIED = 20


def _tried_skus(state: StoresState, body: dict[str, Any]) -> list[str]:
    tried = body.get("triedSkus", [])
    if not isinstance(tried, list) or len(tried) > MAX_TRIED:
        raise bad_request(f"triedSkus must be a list of at most {MAX_TRIED} SKUs", "INVALID_FIELD")
    for n, sku in enumerate(tried):
        if not isinstance(sku, str) or sku not in state.dataset.products_by_sku:
            raise bad_request(f"triedSkus[{n}] is not a known sku", "INVALID_FIELD")
    return list(tried)


@routes.post("/pos/visits")
async def record_visit(request: web.Request) -> web.Response:
    state = _state(request)
    body = await json_object(request)
    pos_number = _pos_number(state, field_str(body, "posNumber"))
    store_id = _store_id(state, field_str(body, "storeId"))
    author = field_str(body, "author")
    text = body.get("notes")
    if text is not None and (not isinstance(text, str) or len(text) > 2000):
        raise bad_request("notes must be a string of at most 2000 characters", "INVALID_FIELD")
    tried = _tried_skus(state, body)
    at = utc_now()
    note = None
    if text and text.strip():
        notes = state.notes.setdefault(pos_number, [])
        note = {
            "noteId": f"NOTE-{pos_number[4:]}-{len(notes) + 1}",
            "storeId": store_id,
            "author": author,
            "at": iso(at),
            "text": text.strip(),
        }
        notes.insert(0, note)
    visit_id = f"VISIT-{store_id}-{uuid.uuid4().hex[:12]}"
    who = [{"kind": "pos_customer_number", "value": pos_number}]
    start = at - timedelta(minutes=len(tried))  # the visit, then a product tried each minute
    events: list[dict[str, Any]] = [
        {"id": f"evt-pos-{visit_id}", "type": "store_visit", "at": iso(start), "identifiers": who,
         "storeId": store_id, **({"notes": note["text"]} if note else {})}
    ]  # fmt: skip
    for n, sku in enumerate(tried, start=1):
        events.append(
            {"id": f"evt-pos-{visit_id}-{n}", "type": "view", "identifiers": who,
             "at": iso(start + timedelta(minutes=n)), "sku": sku, "storeId": store_id}
        )  # fmt: skip
    emit(request.app, {"events": events})
    answer = {
        "visitId": visit_id,
        "storeId": store_id,
        "at": iso(at),
        "note": note,
        "eventIds": [e["id"] for e in events],
    }
    return web.json_response(answer, status=201)


def _purchase_event(receipt: Receipt, pos_number: str) -> dict[str, Any]:
    return {
        "id": receipt.event_id,
        "type": "purchase",
        "at": iso(receipt.at),
        "identifiers": [{"kind": "pos_customer_number", "value": pos_number}],
        "sku": receipt.lines[0][0],
        "storeId": receipt.store_id,
    }


SPEC = SystemSpec(
    name="stores",
    error_shape=error_body,
    state_key=STATE,
    build_state=build_state,
    routes=routes,
)


def create_app(config: SimulatorConfig | None = None) -> web.Application:
    """The stores (POS) simulator, ready to serve (its state is built at start-up)."""
    config = config or SimulatorConfig()
    app = build_app(SPEC, config)
    attach_webhooks(app, config, CHANNEL)
    return app
