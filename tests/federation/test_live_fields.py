"""Every channel-fed field returns the simulators' own values for the seeded customers."""

import asyncio
import uuid
from collections import Counter
from typing import Any

import pytest

from channels import ChannelClient, ChannelConfig, ChannelSystems
from channels.records import Availability, StoreAvailability
from graph import GraphDatabase
from resolvers.customers import channel_views
from resolvers.live.loaders import ChannelBudget, LiveLoaders
from resolvers.live.paging import ORDERS, encode_offset, tickets_list
from resolvers.live.sources import SourceLog
from resolvers.live.types import MAX_LISTED_STORES, ProductAvailability
from tests.conftest import Gateway
from tests.federation.conftest import Systems, a_customer, seeded_customers


async def test_cart_lines_carry_live_prices_promotions_availability_and_a_total(
    fed: Gateway, systems: Systems
):
    customer = a_customer(cart=True)
    body = await fed.query(
        """query($id: ID!) { customer(id: $id) { cart {
             lines { quantity product { sku } unitPrice { amount currency }
                     promotion { id percentOff } availability { online inStore(storeId: "ST001") } }
             total { amount currency } } } }""",
        {"id": customer["id"]},
    )
    assert "errors" not in body, body
    lines = body["data"]["customer"]["cart"]["lines"]
    assert lines
    skus = [line["product"]["sku"] for line in lines]
    prices = {
        p["sku"]: p
        for p in (await systems.get("webshop", "/api/v1/prices", skus=",".join(skus)))["prices"]
    }
    stock = {
        a["sku"]: a
        for a in (await systems.get("oms", "/oms/availability", skus=",".join(skus)))[
            "availability"
        ]
    }
    expected_total = 0.0
    for line in lines:
        price = prices[line["product"]["sku"]]
        assert line["unitPrice"] == {"amount": price["amount"], "currency": price["currency"]}
        promo = price["promotion"]
        assert line["promotion"] == (
            {"id": promo["id"], "percentOff": promo["percentOff"]} if promo else None
        )
        off = promo["percentOff"] if promo else 0
        expected_total += price["amount"] * (1 - off / 100) * line["quantity"]
        availability = stock[line["product"]["sku"]]
        assert line["availability"]["online"] == availability["online"]
        in_st001 = next(
            (s["available"] for s in availability["stores"] if s["storeId"] == "ST001"), 0
        )
        assert line["availability"]["inStore"] == in_st001
    total = body["data"]["customer"]["cart"]["total"]
    assert total == {"amount": round(expected_total, 2), "currency": "EUR"}
    sources = {s["channel"]: s["outcome"] for s in body["extensions"]["sources"]}
    assert sources == {"webshop": "ok", "oms": "ok"}


async def test_a_price_change_in_the_web_shop_shows_on_the_next_read(
    fed: Gateway, systems: Systems
):
    customer = a_customer(cart=True)
    query = """query($id: ID!) { customer(id: $id) { cart {
                 lines { product { sku } unitPrice { amount } } } } }"""
    first = await fed.query(query, {"id": customer["id"]})
    sku = first["data"]["customer"]["cart"]["lines"][0]["product"]["sku"]
    async with systems.session.put(
        f"{systems.urls['webshop']}/admin/prices/{sku}", json={"amount": 1234.5}
    ) as response:
        assert response.status < 300
    again = await fed.query(query, {"id": customer["id"]})
    lines = again["data"]["customer"]["cart"]["lines"]
    line = next(line for line in lines if line["product"]["sku"] == sku)
    assert line["unitPrice"] == {"amount": 1234.5}


async def test_orders_and_tickets_come_from_the_oms_and_the_contact_centre(
    fed: Gateway, systems: Systems
):
    customer = a_customer("email", "contact_centre_id")
    email = customer["identities"]["email"][0]
    cc_id = customer["identities"]["contact_centre_id"][0]
    body = await fed.query(
        """query($id: ID!) { customer(id: $id) {
             orders(first: 50) { edges { node { id status fulfilment timeline { status } } }
                                 pageInfo { hasNextPage } }
             tickets(first: 50) { edges { node { id subject status } } } } }""",
        {"id": customer["id"]},
    )
    assert "errors" not in body, body
    orders = await systems.get("oms", "/oms/orders", customerEmail=email, pageSize="50")
    assert [e["node"]["id"] for e in body["data"]["customer"]["orders"]["edges"]] == [
        o["orderId"] for o in orders["items"]
    ]
    assert [e["node"]["status"] for e in body["data"]["customer"]["orders"]["edges"]] == [
        o["status"] for o in orders["items"]
    ]
    tickets = await systems.get("contact", f"/cc/v2/customers/{cc_id}/tickets", pageSize="50")
    assert tickets["items"], "the seeded customer should have tickets"
    assert [e["node"]["id"] for e in body["data"]["customer"]["tickets"]["edges"]] == [
        t["ticketId"] for t in tickets["items"]
    ]


async def test_order_pages_follow_cursors_without_gaps_or_duplicates(
    fed: Gateway, systems: Systems
):
    for customer in seeded_customers():
        email = customer["identities"]["email"][0]
        truth = await systems.get("oms", "/oms/orders", customerEmail=email, pageSize="100")
        if len(truth["items"]) >= 3:
            break
    else:
        raise AssertionError("no seeded customer has three orders or more")
    seen: list[str] = []
    after = None
    for _ in range(50):
        body = await fed.query(
            """query($id: ID!, $after: String) { customer(id: $id) {
                 orders(first: 2, after: $after) { edges { cursor node { id } }
                   pageInfo { hasNextPage endCursor } } } }""",
            {"id": customer["id"], "after": after},
        )
        connection = body["data"]["customer"]["orders"]
        seen += [edge["node"]["id"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert seen == [order["orderId"] for order in truth["items"]]


async def test_a_cursor_past_the_systems_last_page_is_refused_before_any_call(fed: Gateway):
    # The systems page up to page 1,000,000: a forged cursor beyond used to be sent to the OMS,
    # whose 400 came back as INTERNAL. It is the caller's mistake, named as such.
    customer = a_customer("email", "contact_centre_id")
    body = await fed.query(
        """query($id: ID!, $orders: String, $tickets: String) { customer(id: $id) {
             orders(first: 1, after: $orders) { edges { node { id } } }
             tickets(first: 1, after: $tickets) { edges { node { id } } } } }""",
        {
            "id": customer["id"],
            "orders": encode_offset(100_000_000, ORDERS),
            "tickets": encode_offset(100_000_000, tickets_list(None)),
        },
    )

    assert body["data"]["customer"] == {"orders": None, "tickets": None}
    assert sorted(
        (e["path"][-1], e["extensions"]["code"], e["extensions"]["argument"])
        for e in body["errors"]
    ) == [("orders", "BAD_USER_INPUT", "after"), ("tickets", "BAD_USER_INPUT", "after")]
    assert body["extensions"]["sources"] == []  # nothing was asked of the systems


async def test_a_systems_refusal_gives_the_field_its_code_not_internal(
    fed: Gateway, monkeypatch: pytest.MonkeyPatch
):
    # A 4xx is the system's "no": the field is null with the code it maps to (here the OMS's 400
    # for a page past its last), without the HTTP exchange in the message.
    monkeypatch.setattr(channel_views, "page_window", lambda offset, first: (2_000_000, first, 0))
    customer = a_customer("email")
    body = await fed.query(
        """query($id: ID!) { customer(id: $id) { orders(first: 1) { edges { node { id } } } } }""",
        {"id": customer["id"]},
    )

    assert body["data"]["customer"]["orders"] is None
    [error] = body["errors"]
    assert error["path"] == ["customer", "orders"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["channel"] == "oms"
    assert "HTTP" not in error["message"]
    [source] = body["extensions"]["sources"]
    assert (source["channel"], source["outcome"], source["code"]) == (
        "oms",
        "failed",
        "BAD_USER_INPUT",
    )


async def test_product_availability_and_store_stock_are_live(fed: Gateway, systems: Systems):
    body = await fed.query(
        """{ product(sku: "SKU-00001") { availability(storeIds: ["ST001", "ST002"]) {
               online stores { storeId available } } }
             store(id: "ST001") { stock(sku: "SKU-00001") } }"""
    )
    assert "errors" not in body, body
    truth = (
        await systems.get("oms", "/oms/availability", skus="SKU-00001", storeIds="ST001,ST002")
    )["availability"][0]
    availability = body["data"]["product"]["availability"]
    assert availability["online"] == truth["online"]
    expected = {s["storeId"]: s["available"] for s in truth["stores"]}
    assert {s["storeId"]: s["available"] for s in availability["stores"]} == {
        "ST001": expected.get("ST001", 0),
        "ST002": expected.get("ST002", 0),
    }
    stock = await systems.get("stores", "/pos/stores/ST001/stock", skus="SKU-00001")
    assert body["data"]["store"]["stock"] == stock["stock"][0]["onHand"]


async def test_availability_without_store_ids_lists_the_stores_holding_stock_best_first(
    fed: Gateway, systems: Systems
):
    """The OMS lists every store, those without stock too: they were all listed, in its order."""
    skus = ",".join(f"SKU-{n:05d}" for n in range(1, 101))
    stock = (await systems.get("oms", "/oms/availability", skus=skus))["availability"]
    # A SKU some store has none of, so leaving those out shows.
    truth = next(item for item in stock if any(s["available"] == 0 for s in item["stores"]))
    body = await fed.query(
        """query($sku: ID!) { product(sku: $sku) { availability {
             online storesHoldingStock stores { storeId available } } } }""",
        {"sku": truth["sku"]},
    )
    assert "errors" not in body, body
    holding = sorted(
        ((s["storeId"], s["available"]) for s in truth["stores"] if s["available"] > 0),
        key=lambda store: (-store[1], store[0]),
    )
    availability = body["data"]["product"]["availability"]
    assert [(s["storeId"], s["available"]) for s in availability["stores"]] == holding
    assert availability["storesHoldingStock"] == len(holding) < len(truth["stores"])


def test_availability_without_store_ids_lists_50_stores_at_most() -> None:
    """A network of more stores than the seeded one: ``stores`` grew with it, unbounded."""
    record = Availability(
        "SKU-1", 3, tuple(StoreAvailability(f"ST{n:03d}", n % 7) for n in range(120))
    )
    availability = ProductAvailability.from_record(record)
    assert availability.stores_holding_stock == sum(1 for n in range(120) if n % 7)
    assert len(availability.stores) == MAX_LISTED_STORES == 50
    assert [s.available for s in availability.stores[:2]] == [6, 6]
    assert str(availability.stores[0].store_id) == "ST006"


async def test_store_stock_of_a_sku_the_catalog_does_not_hold_is_not_found_naming_sku(
    fed: Gateway, systems: Systems
):
    """The store system leaves an unknown SKU out of its answer: that read as a silent null,
    the same as a stock nobody could read."""
    body = await fed.query(
        '{ store(id: "ST001") { id known: stock(sku: "SKU-00001") '
        'unknown: stock(sku: "SKU-99999") } }'
    )
    assert body["data"]["store"]["id"] == "ST001"
    truth = await systems.get("stores", "/pos/stores/ST001/stock", skus="SKU-00001")
    assert body["data"]["store"]["known"] == truth["stock"][0]["onHand"]  # the other is read
    assert body["data"]["store"]["unknown"] is None
    [error] = body["errors"]
    assert error["path"] == ["store", "unknown"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["extensions"]["argument"] == "sku"
    assert "SKU-99999" in error["message"]


async def test_stock_of_several_stores_is_asked_of_the_store_system_all_at_once(
    fed: Gateway, systems: Systems, monkeypatch: pytest.MonkeyPatch
):
    # One call per store, sent together: before, each store's call waited for the previous
    # store's answer, so a query naming four stores at +300 ms timed out on the fourth.
    in_flight = 0
    most = 0
    exchange = ChannelClient._exchange

    async def counted(self: ChannelClient, *args: Any) -> Any:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        try:
            return await exchange(self, *args)
        finally:
            in_flight -= 1

    monkeypatch.setattr(ChannelClient, "_exchange", counted)
    await systems.faults("stores", latencyMs=150)
    stores = ["ST001", "ST002", "ST003", "ST004"]

    body = await fed.query(
        "{ "
        + " ".join(f'{s.lower()}: store(id: "{s}") {{ stock(sku: "SKU-00001") }}' for s in stores)
        + " }"
    )

    assert "errors" not in body, body
    for store in stores:
        truth = await systems.get("stores", f"/pos/stores/{store}/stock", skus="SKU-00001")
        assert body["data"][store.lower()]["stock"] == truth["stock"][0]["onHand"]
    assert [s["channel"] for s in body["extensions"]["sources"]] == ["stores"] * 4
    assert most == 4  # the four calls were in flight together


async def test_a_stores_stock_of_more_skus_than_one_call_takes_is_split(systems: Systems):
    # The store system answers at most 100 SKUs per stock call (400 beyond): one store's batch
    # of 150 becomes two calls, and every SKU gets its own level.
    configs = {name: ChannelConfig(name=name, base_url=url) for name, url in systems.urls.items()}
    channel_systems = ChannelSystems.create(configs, stale_store=None)
    await channel_systems.start()
    sources = SourceLog()
    skus = [f"SKU-{n:05d}" for n in range(1, 151)]
    try:
        loaders = LiveLoaders(channel_systems, ChannelBudget(10.0), sources)
        answers = await asyncio.gather(*(loaders.stock.load(("ST002", sku)) for sku in skus))
    finally:
        await channel_systems.close()

    truth: dict[str, int] = {}
    for part in (skus[:100], skus[100:]):
        found = await systems.get("stores", "/pos/stores/ST002/stock", skus=",".join(part))
        truth |= {row["sku"]: row["onHand"] for row in found["stock"]}
    assert {sku: answer.data.on_hand for sku, answer in zip(skus, answers, strict=True)} == truth
    assert [(call.channel, call.outcome) for call in sources.calls] == [("stores", "ok")] * 2


async def test_an_unknown_store_is_not_found_rather_than_out_of_stock(
    fed: Gateway, systems: Systems
):
    # The OMS lists only the stores holding stock, so a mistyped store id read as 0 in stock.
    customer = a_customer(cart=True)
    body = await fed.query(
        """query($id: ID!) {
             product(sku: "SKU-00001") { availability(storeIds: ["ST001", "NOPE"]) { online } }
             customer(id: $id) { cart { lines {
               product { sku }
               availability {
                 online known: inStore(storeId: "ST001") other: inStore(storeId: "NOPE") }
             } } } }""",
        {"id": customer["id"]},
    )

    assert body["data"]["product"]["availability"] is None
    lines = body["data"]["customer"]["cart"]["lines"]
    assert all(line["availability"]["other"] is None for line in lines)
    # The known store's figures are still the OMS's own, line by line.
    skus = [line["product"]["sku"] for line in lines]
    truth = await systems.get("oms", "/oms/availability", skus=",".join(skus), storeIds="ST001")
    expected = {
        row["sku"]: {
            "online": row["online"],
            "known": next((s["available"] for s in row["stores"] if s["storeId"] == "ST001"), 0),
        }
        for row in truth["availability"]
    }
    shown = {
        line["product"]["sku"]: {k: line["availability"][k] for k in ("online", "known")}
        for line in lines
    }
    assert shown == expected
    refused = {
        (tuple(e["path"][:1]), e["extensions"]["code"], e["extensions"]["id"])
        for e in body["errors"]
    }
    assert refused == {(("product",), "NOT_FOUND", "NOPE"), (("customer",), "NOT_FOUND", "NOPE")}
    assert len(body["errors"]) == 1 + len(lines)


async def test_devices_show_their_mobile_registration(fed: Gateway, systems: Systems):
    customer = a_customer("app_install_id")
    install = customer["identities"]["app_install_id"][0]
    truth = await systems.get("mobile", "/mobile/devices", installId=install)
    body = await fed.query(
        """query($id: ID!) { customer(id: $id) { devices { id registration {
             platform pushEnabled } } } }""",
        {"id": customer["id"]},
    )
    assert "errors" not in body, body
    devices = {d["id"]: d["registration"] for d in body["data"]["customer"]["devices"]}
    rows = truth.get("items", truth.get("devices"))
    assert rows, "the seeded customer should have a registered device"
    for row in rows:
        assert devices[row["deviceId"]]["platform"] == row["platform"]


async def test_store_receipts_not_yet_in_the_graph_appear_in_history_once(
    fed: Gateway, systems: Systems
):
    for customer in seeded_customers():
        numbers = customer["identities"].get("pos_customer_number", [])
        if (
            numbers
            and (await systems.get("stores", f"/pos/customers/{numbers[0]}/receipts"))["total"]
        ):
            pos = numbers[0]
            break
    else:
        raise AssertionError("no seeded customer has in-store receipts")
    query = """query($id: ID!) { customer(id: $id) { history(first: 100) {
             edges { node { id type channel store { id } } } } } }"""
    # Every receipt is already ingested, so on the page: checking them costs no statement.
    before = await fed.query(query, {"id": customer["id"]})
    assert "errors" not in before, before
    assert before["extensions"]["cypherRoundTrips"] == 1
    receipt = await systems.post(
        "stores",
        "/pos/receipts",
        {"posNumber": pos, "storeId": "ST001", "lines": [{"sku": "SKU-00002", "qty": 1}]},
    )
    receipt_id = receipt["eventId"]
    body = await fed.query(query, {"id": customer["id"]})
    assert "errors" not in body, body
    # The one receipt the page does not hold costs one statement (is it elsewhere? its store).
    assert body["extensions"]["cypherRoundTrips"] == 2
    nodes = [e["node"] for e in body["data"]["customer"]["history"]["edges"]]
    ids = [n["id"] for n in nodes]
    assert len(ids) == len(set(ids))
    seeded_purchases = [
        r["eventId"]
        for r in (await systems.get("stores", f"/pos/customers/{pos}/receipts", pageSize="50"))[
            "items"
        ]
    ]
    assert set(seeded_purchases) <= set(ids)  # already in the graph: shown once, not twice
    merged = next(n for n in nodes if n["id"] == receipt_id)
    assert merged == {
        "id": receipt_id,
        "type": "PURCHASE",
        "channel": "STORE",
        "store": {"id": "ST001"},
    }


def record_channel_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the systems called from now on, in the order the calls are sent."""
    sent: list[str] = []
    exchange = ChannelClient._exchange

    async def call(self: ChannelClient, *args: Any) -> Any:
        sent.append(self.name)
        return await exchange(self, *args)

    monkeypatch.setattr(ChannelClient, "_exchange", call)
    return sent


async def test_a_returning_customers_channel_calls_are_sent_before_the_graph_is_read(
    fed: Gateway, monkeypatch: pytest.MonkeyPatch
):
    customer = a_customer(
        "email", "contact_centre_id", "app_install_id", "pos_customer_number", cart=True
    )
    query = """query($id: ID!) { customer(id: $id) {
             cart { lines { unitPrice { amount } } } orders(first: 3) { edges { node { id } } }
             tickets(first: 3) { edges { node { id } } } devices { registration { platform } }
             history(first: 5) { edges { node { id } } } } }"""
    first = await fed.query(query, {"id": customer["id"]})  # the profile is cached from now on
    assert "errors" not in first, first
    sent = record_channel_calls(monkeypatch)
    execute = GraphDatabase._execute

    async def statement(self: GraphDatabase, *args: Any, **kwargs: Any) -> Any:
        sent.append("graph")
        return await execute(self, *args, **kwargs)

    monkeypatch.setattr(GraphDatabase, "_execute", statement)

    again = await fed.query(query, {"id": customer["id"]})

    assert again["data"] == first["data"]
    assert again["extensions"]["cypherRoundTrips"] == 1
    # The graph's statement (history) starts once every system the fields need was called,
    # so Neo4j reads while they answer instead of delaying their calls.
    before_the_graph = set(sent[: sent.index("graph")])
    assert before_the_graph == {"webshop", "oms", "contact", "mobile", "stores"}


async def test_a_customers_channel_calls_are_sent_before_its_fields_resolve_and_once_each(
    fed: Gateway, monkeypatch: pytest.MonkeyPatch
):
    customer = a_customer(
        "email", "contact_centre_id", "app_install_id", "pos_customer_number", cart=True
    )
    query = """query($id: ID!) { customer(id: $id) {
             cart { total { amount } lines { unitPrice { amount } availability { online } } }
             orders(first: 3) { edges { node { id } } } tickets(first: 3) { edges { node { id } } }
             devices { registration { platform } }
             history(first: 5) { edges { node { id } } } } }"""
    first = await fed.query(query, {"id": customer["id"]})
    assert "errors" not in first, first
    sent = record_channel_calls(monkeypatch)
    orders_field = channel_views.orders

    async def orders(*args: Any, **kwargs: Any) -> Any:
        sent.append("the orders field")
        return await orders_field(*args, **kwargs)

    monkeypatch.setattr(channel_views, "orders", orders)

    again = await fed.query(query, {"id": customer["id"]})

    assert again["data"] == first["data"]
    # Read ahead from the customer's selection (channel_prefetch.py): every system is called
    # before graphql-core reaches the fields, which find their calls in flight...
    before_the_fields = set(sent[: sent.index("the orders field")])
    assert before_the_fields == {"webshop", "oms", "contact", "mobile", "stores"}
    # ...and no call is made twice (the OMS twice: availability, then the orders' page).
    assert Counter(sent) == Counter(
        {"webshop": 1, "oms": 2, "contact": 1, "mobile": 1, "stores": 1, "the orders field": 1}
    )


async def test_a_customers_installs_are_asked_of_the_mobile_backend_in_one_call(
    fed: Gateway, systems: Systems, monkeypatch: pytest.MonkeyPatch
):
    customer = next(
        c for c in seeded_customers() if len(c["identities"].get("app_install_id", [])) >= 2
    )
    truth = {}
    for install in customer["identities"]["app_install_id"]:
        answer = await systems.get("mobile", "/mobile/devices", installId=install)
        truth |= {row["deviceId"]: row["platform"] for row in answer["devices"]}
    assert len(truth) >= 2, "the seeded customer should have a device per install"
    sent = record_channel_calls(monkeypatch)

    body = await fed.query(
        """query($id: ID!) { customer(id: $id) { devices { id registration { platform } } } }""",
        {"id": customer["id"]},
    )

    assert "errors" not in body, body
    shown = {d["id"]: d["registration"]["platform"] for d in body["data"]["customer"]["devices"]}
    assert shown == truth  # each device with its own install's registration
    assert sent == ["mobile"]  # every install in one call


async def test_a_cart_of_more_skus_than_a_system_takes_per_call_has_every_price_and_stock(
    fed: Gateway, seeded: GraphDatabase
):
    # The web shop prices at most 100 SKUs per call (the client kept the first 100, the others
    # were null without an error) and the OMS refuses more (400): the loaders split the batch.
    # A cart takes at most 100 products from a mutation or a merge; one merged before merges
    # kept 100 lines can hold more, as the last five lines written here do.
    customer = f"cus_bigcart_{uuid.uuid4().hex[:10]}"
    await seeded.write(
        "CREATE (:Customer {id: $id, displayName: 'Big cart', createdAt: datetime()})",
        {"id": customer},
    )
    skus = [f"SKU-{n:05d}" for n in range(1, 106)]
    for sku in skus[:100]:
        added = await fed.query(
            """mutation($c: ID!, $sku: ID!, $key: String!) {
                 addCartItem(customerId: $c, sku: $sku, channel: WEB, idempotencyKey: $key) {
                   version } }""",
            {"c": customer, "sku": sku, "key": f"big-{uuid.uuid4().hex}"},
        )
        assert "errors" not in added, added
    await seeded.write(
        "MATCH (:Customer {id: $id})-[:HAS_CART]->(k:Cart {status: 'active'}) "
        "UNWIND $skus AS sku MATCH (p:Product {sku: sku}) "
        "CREATE (k)-[:CONTAINS {qty: 1, addedAt: datetime(), addedVia: 'web'}]->(p)",
        {"id": customer, "skus": skus[100:]},
    )

    body = await fed.query(
        """query($c: ID!) { customer(id: $c) { cart { lines {
             product { sku } unitPrice { amount } availability { online } } } } }""",
        {"c": customer},
    )

    assert "errors" not in body, body
    lines = body["data"]["customer"]["cart"]["lines"]
    assert sorted(line["product"]["sku"] for line in lines) == skus
    assert [line["product"]["sku"] for line in lines if line["unitPrice"] is None] == []
    assert [line["product"]["sku"] for line in lines if line["availability"] is None] == []


async def test_ids_a_system_does_not_know_hold_nothing_there_rather_than_failing(
    fed: Gateway, seeded: GraphDatabase
):
    """A contact-centre id or a POS number just linked, before its system knows it: the system
    answers 404 (nobody by that id), which means no tickets and no receipts, not an outage
    (the console read a null connection and a failed source as "unavailable right now")."""
    tag = uuid.uuid4().hex[:10]
    customer_id = f"cus_unknown_there_{tag}"
    await seeded.write(
        "CREATE (c:Customer {id: $id, displayName: 'Not There Yet', createdAt: datetime()}) "
        "WITH c UNWIND $identities AS identity "
        "CREATE (c)-[:IDENTIFIED_BY {since: datetime(), source: 'store', confidence: 1.0}]->"
        "(:Identity {kind: identity.kind, value: identity.value})",
        {
            "id": customer_id,
            "identities": [
                {"kind": "contact_centre_id", "value": f"CC-NEW-{tag}"},
                {"kind": "pos_customer_number", "value": f"POS-NEW-{tag}"},
            ],
        },
    )

    body = await fed.query(
        """query($id: ID!) { customer(id: $id) {
             tickets(first: 5) { edges { node { id } } pageInfo { hasNextPage } }
             history(first: 5) { edges { node { id } } } } }""",
        {"id": customer_id},
    )

    assert "errors" not in body, body
    customer = body["data"]["customer"]
    assert customer["tickets"] == {"edges": [], "pageInfo": {"hasNextPage": False}}
    assert customer["history"] == {"edges": []}
    outcomes = {(s["channel"], s["outcome"]) for s in body["extensions"]["sources"]}
    assert outcomes == {("contact", "ok"), ("stores", "ok")}, body["extensions"]["sources"]
