"""The web shop simulator: the e-commerce platform's catalogue, live prices and promotions.

API (JSON; errors ``{"error": {"code": "...", "message": "..."}}``; the customer key is the email):

- ``GET /api/v1/products?page&pageSize&category`` → ``{"items": [Product], "page", "pageSize",
  "total"}`` in SKU order; Product = ``{sku, name, category, brand, price: {amount, currency},
  promotion: {id, label, percentOff} | null}``
- ``GET /api/v1/products/{sku}`` → Product (404 ``PRODUCT_NOT_FOUND``)
- ``GET /api/v1/prices?skus=A,B`` (1 to 100) → ``{"prices": [{sku, amount, currency, promotion,
  updatedAt}]}`` in the order asked; unknown SKUs are left out
- ``GET /api/v1/customers/{email}`` → ``{email, displayName, memberSince}`` (404
  ``CUSTOMER_NOT_FOUND``)
- ``PUT /admin/prices/{sku}`` ``{"amount": 12.5}`` → the new price entry (prices change)

``amount`` is the list price in EUR; a promotion's ``percentOff`` comes off it at checkout. Prices
start from the shared list prices; about one SKU in six is on promotion. Never imported by product
code: the gateway reaches it over HTTP only.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from simulators._admin import admin_body
from simulators._clock import iso, utc_now
from simulators._config import SimulatorConfig
from simulators._dataset import HISTORY_END, Row, SeededCustomer, load_dataset
from simulators._errors import AdminInputError, SimulatorError
from simulators._pagination import PageRequest
from simulators._requests import query_ids
from simulators._state import SeededState
from simulators._system import SystemSpec, build_app

CURRENCY = "EUR"
MAX_PRICE = 1_000_000.0
_PROMOTION_SHARE = 0.17
_CAMPAIGNS = (
    ("PROMO-SOLDES", "Soldes d'hiver", 20),
    ("PROMO-MAISON", "Semaine de la maison", 15),
    ("PROMO-FLASH", "Vente flash", 30),
    ("PROMO-DUO", "Le deuxième à moitié prix", 25),
)


@dataclass(frozen=True)
class Promotion:
    """A promotion campaign a product takes part in.

    Example:
        >>> Promotion("PROMO-FLASH", "Vente flash -30 %", 30).as_json()["percentOff"]
        30
    """

    id: str
    label: str
    percent_off: int

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "percentOff": self.percent_off}


@dataclass
class Listing:
    """A catalogue product as the shop sells it: its current price and promotion.

    Example:
        >>> listing = build_state(SimulatorConfig(customers=1)).listings["SKU-00001"]
        >>> listing.price_json()["currency"]
        'EUR'
    """

    product: Row
    amount: float
    promotion: Promotion | None
    updated_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "sku": self.product["sku"],
            "name": self.product["name"],
            "category": self.product["category"],
            "brand": self.product["brand"],
            "price": {"amount": self.amount, "currency": CURRENCY},
            "promotion": self.promotion.as_json() if self.promotion else None,
        }

    def price_json(self) -> dict[str, Any]:
        return {
            "sku": self.product["sku"],
            "amount": self.amount,
            "currency": CURRENCY,
            "promotion": self.promotion.as_json() if self.promotion else None,
            "updatedAt": iso(self.updated_at),
        }


@dataclass
class WebshopState:
    """The shop's catalogue (by SKU, in SKU order) and its customer accounts (by email).

    Example:
        >>> state = build_state(SimulatorConfig(customers=1))
        >>> len(state.listings), list(state.accounts)
        (300, ['mehdi.morel.0@example.com'])
    """

    listings: dict[str, Listing]
    accounts: dict[str, SeededCustomer]


def build_state(config: SimulatorConfig) -> WebshopState:
    dataset = load_dataset(config.seed, config.customers)
    rng = random.Random(f"webshop:{config.seed}")  # noqa: S311 - seeded demo data, not secrecy
    listings = {}
    for product in dataset.products:
        promotion = None
        if rng.random() < _PROMOTION_SHARE:
            campaign, label, percent = rng.choice(_CAMPAIGNS)
            promotion = Promotion(id=campaign, label=f"{label} -{percent} %", percent_off=percent)
        listings[product["sku"]] = Listing(
            product=product,
            amount=dataset.list_prices[product["sku"]],
            promotion=promotion,
            updated_at=HISTORY_END - timedelta(days=rng.randint(0, 30), hours=rng.randint(0, 23)),
        )
    accounts = {}
    for customer in dataset.customers:
        email = customer.identity("email")
        if email is not None:
            accounts[email] = customer
    return WebshopState(listings=listings, accounts=accounts)


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


STATE = web.AppKey[SeededState[WebshopState]]("webshop_state")
routes = web.RouteTableDef()


def _state(request: web.Request) -> WebshopState:
    return request.app[STATE].current


def _listing(request: web.Request) -> Listing:
    sku = request.match_info["sku"]
    listing = _state(request).listings.get(sku)
    if listing is None:
        raise SimulatorError(404, "PRODUCT_NOT_FOUND", f"no product with SKU {sku}")
    return listing


@routes.get("/api/v1/products")
async def list_products(request: web.Request) -> web.Response:
    page = PageRequest.from_query(request)
    category = request.query.get("category")
    listings = [
        listing
        for listing in _state(request).listings.values()
        if category is None or listing.product["category"] == category
    ]
    return web.json_response(page.envelope(listings, Listing.as_json))


@routes.get("/api/v1/products/{sku}")
async def show_product(request: web.Request) -> web.Response:
    return web.json_response(_listing(request).as_json())


@routes.get("/api/v1/prices")
async def list_prices(request: web.Request) -> web.Response:
    listings = _state(request).listings
    skus = query_ids(request, "skus")
    prices = [listings[sku].price_json() for sku in skus if sku in listings]
    return web.json_response({"prices": prices})


@routes.get("/api/v1/customers/{email}")
async def show_customer(request: web.Request) -> web.Response:
    email = request.match_info["email"]
    customer = _state(request).accounts.get(email)
    if customer is None:
        raise SimulatorError(404, "CUSTOMER_NOT_FOUND", f"no account for {email}")
    since = customer.identities["email"][0]["since"]
    return web.json_response(
        {"email": email, "displayName": customer.display_name, "memberSince": iso(since)}
    )


@routes.put("/admin/prices/{sku}")
async def change_price(request: web.Request) -> web.Response:
    listing = _listing(request)
    body = await admin_body(request)
    amount = body.get("amount") if isinstance(body, dict) else None
    if (
        isinstance(amount, bool)
        or not isinstance(amount, int | float)
        or not math.isfinite(amount)
        or not 0 < amount <= MAX_PRICE
    ):
        raise AdminInputError("amount", f"must be a number above 0 and at most {MAX_PRICE:g}")
    listing.amount = round(float(amount), 2)
    listing.updated_at = utc_now()
    return web.json_response(listing.price_json())


SPEC = SystemSpec(
    name="webshop",
    error_shape=error_body,
    state_key=STATE,
    build_state=build_state,
    routes=routes,
)


def create_app(config: SimulatorConfig | None = None) -> web.Application:
    """The web shop simulator, ready to serve (its state is built at start-up)."""
    return build_app(SPEC, config or SimulatorConfig())
