"""The demo dataset's layout as CSV files for Neo4j's import tool (``parcours seed --bulk``).

One :class:`CsvFile` per node label and per relationship type: its header, in the import tool's
notation (ID spaces, ``:datetime``, ``:long``, ``:double``, ``:boolean``), and how its rows come
out of the generator's rows. Each header mirrors what ``loader`` writes with ``UNWIND ... MERGE``,
property for property and type for type, so both paths build the same graph. This module only
shapes rows; it neither writes files nor talks to Neo4j.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Literal, TypeVar

from graph.names import fold_name
from graph.seed.generator import CustomerBatch, ReferenceData

Source = TypeVar("Source", CustomerBatch, ReferenceData)
CsvRow = tuple[object, ...]
Entity = Literal["nodes", "relationships"]


@dataclass(frozen=True)
class CsvFile(Generic[Source]):
    """One node label or relationship type: its file name, header and rows.

    Example:
        >>> CUSTOMERS.header
        ('id:ID(Customer)', 'displayName', 'searchName', 'createdAt:datetime')
    """

    name: str
    entity: Entity
    label: str
    header: tuple[str, ...]
    rows: Callable[[Source], Iterable[CsvRow]]


def _at(value: datetime) -> str:
    # ISO 8601 with its +00:00 offset: the import tool stores the same DateTime (offset Z) the
    # driver sends for an aware datetime in UTC.
    return value.isoformat()


def identity_key(kind: str, value: str) -> str:
    """An Identity's import ID: unique by (kind, value), as the ``identity_key`` constraint."""
    return f"{kind}:{value}"


CHANNELS = CsvFile[ReferenceData](
    "channels",
    "nodes",
    "Channel",
    ("code:ID(Channel)",),
    lambda r: ((c["code"],) for c in r.channels),
)
STORES = CsvFile[ReferenceData](
    "stores",
    "nodes",
    "Store",
    ("id:ID(Store)", "name", "city"),
    lambda r: ((s["id"], s["name"], s["city"]) for s in r.stores),
)
PRODUCTS = CsvFile[ReferenceData](
    "products",
    "nodes",
    "Product",
    ("sku:ID(Product)", "name", "category", "brand"),
    lambda r: ((p["sku"], p["name"], p["category"], p["brand"]) for p in r.products),
)
REFERENCE_FILES: tuple[CsvFile[ReferenceData], ...] = (CHANNELS, STORES, PRODUCTS)


def _identity_nodes(batch: CustomerBatch) -> Iterable[CsvRow]:
    # Two customers may share an identity (phone numbers are drawn at random): MERGE makes one
    # node of them, so within a part we write each once; the caller dedupes across parts.
    keys = dict.fromkeys((i["kind"], i["value"]) for i in batch.identities)
    return ((identity_key(kind, value), kind, value) for kind, value in keys)


def _interaction_links(batch: CustomerBatch, column: str) -> Iterable[CsvRow]:
    return ((i["id"], i[column]) for i in batch.interactions if i[column] is not None)


CUSTOMERS = CsvFile[CustomerBatch](
    "customers",
    "nodes",
    "Customer",
    ("id:ID(Customer)", "displayName", "searchName", "createdAt:datetime"),
    lambda b: (
        (c["id"], c["displayName"], fold_name(c["displayName"]), _at(c["createdAt"]))
        for c in b.customers
    ),
)
IDENTITIES = CsvFile[CustomerBatch](
    "identities", "nodes", "Identity", (":ID(Identity)", "kind", "value"), _identity_nodes
)
CUSTOMER_FILES: tuple[CsvFile[CustomerBatch], ...] = (
    CUSTOMERS,
    IDENTITIES,
    CsvFile(
        "devices",
        "nodes",
        "Device",
        ("id:ID(Device)", "kind", "os"),
        lambda b: ((d["id"], d["kind"], d["os"]) for d in b.devices),
    ),
    CsvFile(
        "carts",
        "nodes",
        "Cart",
        ("id:ID(Cart)", "version:long", "updatedAt:datetime", "status"),
        lambda b: ((k["id"], k["version"], _at(k["updatedAt"]), k["status"]) for k in b.carts),
    ),
    CsvFile(
        "interactions",
        "nodes",
        "Interaction",
        ("id:ID(Interaction)", "at:datetime", "type", "channel", "amount:double"),
        lambda b: (
            (i["id"], _at(i["at"]), i["type"], i["channel"], i["amount"]) for i in b.interactions
        ),
    ),
    CsvFile(
        "journeys",
        "nodes",
        "Journey",
        (
            "id:ID(Journey)",
            "intent",
            "status",
            "startedAt:datetime",
            "lastChannel",
            "nextStep",
        ),
        lambda b: (
            (
                j["id"],
                j["intent"],
                j["status"],
                _at(j["startedAt"]),
                j["lastChannel"],
                j["nextStep"],
            )
            for j in b.journeys
        ),
    ),
    CsvFile(
        "consents",
        "nodes",
        "Consent",
        ("id:ID(Consent)", "purpose", "granted:boolean", "at:datetime", "source"),
        lambda b: (
            (c["id"], c["purpose"], "true" if c["granted"] else "false", _at(c["at"]), c["source"])
            for c in b.consents
        ),
    ),
    CsvFile(
        "identified-by",
        "relationships",
        "IDENTIFIED_BY",
        (
            ":START_ID(Customer)",
            ":END_ID(Identity)",
            "since:datetime",
            "source",
            "confidence:double",
        ),
        lambda b: (
            (
                i["customerId"],
                identity_key(i["kind"], i["value"]),
                _at(i["since"]),
                i["source"],
                i["confidence"],
            )
            for i in b.identities
        ),
    ),
    CsvFile(
        "uses",
        "relationships",
        "USES",
        (":START_ID(Customer)", ":END_ID(Device)"),
        lambda b: ((d["customerId"], d["id"]) for d in b.devices),
    ),
    CsvFile(
        "has-cart",
        "relationships",
        "HAS_CART",
        (":START_ID(Customer)", ":END_ID(Cart)"),
        lambda b: ((k["customerId"], k["id"]) for k in b.carts),
    ),
    CsvFile(
        "contains",
        "relationships",
        "CONTAINS",
        (":START_ID(Cart)", ":END_ID(Product)", "qty:long", "addedAt:datetime", "addedVia"),
        lambda b: (
            (line["cartId"], line["sku"], line["qty"], _at(line["addedAt"]), line["addedVia"])
            for line in b.cart_lines
        ),
    ),
    CsvFile(
        "did",
        "relationships",
        "DID",
        (":START_ID(Customer)", ":END_ID(Interaction)"),
        lambda b: ((i["customerId"], i["id"]) for i in b.interactions),
    ),
    CsvFile(
        "via",
        "relationships",
        "VIA",
        (":START_ID(Interaction)", ":END_ID(Channel)"),
        lambda b: _interaction_links(b, "channel"),
    ),
    CsvFile(
        "about",
        "relationships",
        "ABOUT",
        (":START_ID(Interaction)", ":END_ID(Product)"),
        lambda b: _interaction_links(b, "sku"),
    ),
    CsvFile(
        "at",
        "relationships",
        "AT",
        (":START_ID(Interaction)", ":END_ID(Store)"),
        lambda b: _interaction_links(b, "storeId"),
    ),
    CsvFile(
        "on",
        "relationships",
        "ON",
        (":START_ID(Interaction)", ":END_ID(Device)"),
        lambda b: _interaction_links(b, "deviceId"),
    ),
    CsvFile(
        "on-journey",
        "relationships",
        "ON_JOURNEY",
        (":START_ID(Customer)", ":END_ID(Journey)"),
        lambda b: ((j["customerId"], j["id"]) for j in b.journeys),
    ),
    CsvFile(
        "step",
        "relationships",
        "STEP",
        (":START_ID(Journey)", ":END_ID(Interaction)", "n:long"),
        lambda b: ((s["journeyId"], s["interactionId"], s["n"]) for s in b.journey_steps),
    ),
    CsvFile(
        "consented",
        "relationships",
        "CONSENTED",
        (":START_ID(Customer)", ":END_ID(Consent)"),
        lambda b: ((c["customerId"], c["id"]) for c in b.consents),
    ),
)
