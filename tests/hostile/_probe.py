"""A customer of the probes' own: an email, a cart of one line, an active journey of one step.

Refused mutations must leave it as it was; its lists give cursors of each kind.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from graph import GraphDatabase
from graph.seed import CustomerBatch, load_customer_batch
from tests.conftest import Gateway
from tests.fixture_dataset import T


@dataclass(frozen=True)
class ProbeCustomer:
    customer: str
    cart: str
    cart_version: int
    journey: str

    @property
    def email(self) -> str:
        return f"{self.customer}@example.test"


async def new_probe_customer(graph: GraphDatabase) -> ProbeCustomer:
    u = uuid.uuid4().hex[:10]
    held = ProbeCustomer(f"cus_probe_{u}", f"cart-probe-{u}", 1, f"jrn-probe-{u}")
    event = f"ev-probe-{u}"
    batch = CustomerBatch()
    batch.customers.append({"id": held.customer, "displayName": "Pro Be", "createdAt": T})
    batch.identities.append(
        {
            "customerId": held.customer,
            "kind": "email",
            "value": held.email,
            "since": T,
            "source": "web",
            "confidence": 1.0,
        }
    )
    batch.carts.append(
        {
            "customerId": held.customer,
            "id": held.cart,
            "version": held.cart_version,
            "updatedAt": T,
            "status": "active",
        }
    )
    batch.cart_lines.append(
        {"cartId": held.cart, "sku": "FX-P2", "qty": 1, "addedAt": T, "addedVia": "web"}
    )
    batch.interactions.append(
        {
            "id": event,
            "customerId": held.customer,
            "at": T - timedelta(days=1),
            "type": "view",
            "channel": "web",
            "sku": "FX-P1",
            "storeId": None,
            "deviceId": None,
        }
    )
    batch.journeys.append(
        {
            "customerId": held.customer,
            "id": held.journey,
            "intent": "buy a sofa",
            "status": "active",
            "startedAt": T - timedelta(days=1),
            "lastChannel": "web",
            "nextStep": "see it in store",
        }
    )
    batch.journey_steps.append({"journeyId": held.journey, "interactionId": event, "n": 1})
    await load_customer_batch(graph, batch)
    return held


async def first_cursors(gateway: Gateway, customer: str) -> dict[str, str]:
    """The cursor of the first item of the customer's history and of their journeys."""
    body = await gateway.query(
        """query($c: ID!) { customer(id: $c) {
             history(first: 1) { edges { cursor } } journeys(first: 1) { edges { cursor } } } }""",
        {"c": customer},
    )
    assert "errors" not in body, body
    found = body["data"]["customer"]
    return {name: found[name]["edges"][0]["cursor"] for name in ("history", "journeys")}
