"""What ingested events do beyond the history: they stitch identities and open or extend journeys.

Every test makes its own customers (by events, through the webhook) so the shared fixture stays as
it was; everything goes through HTTP: the signed webhook, then GraphQL to look.
"""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from graph import GraphDatabase
from graph.identities import IdentityKind
from graph.ingest import anonymous_customer_id
from tests.conftest import Gateway, Services, running_gateway
from tests.gateway.test_webhooks import ingested, post, resigned

PROFILE = """
query($c: ID!) { customer(id: $c) {
  id
  identities { kind value }
  cart { version lines { quantity product { sku } } }
  history(first: 50) { edges { node { id } } }
  identityConflicts(first: 50) {
    edges { node { kind value reason otherCustomerId } } pageInfo { hasNextPage } }
  merges(first: 50) {
    edges { node { mergedCustomerId identities interactionCount cartRule } }
    pageInfo { hasNextPage } }
  journeys(first: 10) { edges { node {
    id intent status lastChannel nextStep steps { n channel type product { sku } }
  } } }
  activeJourney { id intent }
} }
"""
OWNER = """
query($k: IdentityKind!, $v: String!) { customerByIdentity(kind: $k, value: $v) { id } }
"""
ADD = """
mutation($c: ID!, $sku: ID!, $q: Int!, $key: String!) {
  addCartItem(customerId: $c, sku: $sku, quantity: $q, channel: WEB, idempotencyKey: $key) {
    version lines { quantity product { sku } }
  }
}
"""
RESUME = """
mutation($j: ID!, $key: String!) {
  resumeJourney(journeyId: $j, channel: WEB, idempotencyKey: $key) {
    journey { id lastChannel }
    stepsSoFar { n channel type }
    productsTriedInStore { sku }
    nextStep
  }
}
"""
NOW = datetime.now(UTC).replace(microsecond=0)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def event(
    identifiers: list[tuple[str, str]], type: str, at: datetime, **fields: Any
) -> dict[str, Any]:
    return {
        "id": unique("evt"),
        "type": type,
        "at": at.isoformat().replace("+00:00", "Z"),
        "identifiers": [{"kind": kind, "value": value} for kind, value in identifiers],
        **fields,
    }


async def profile(gateway: Gateway, customer_id: str) -> dict[str, Any]:
    body = await gateway.query(PROFILE, {"c": customer_id})
    assert "errors" not in body, body
    customer: dict[str, Any] = body["data"]["customer"]
    return flatten_records(customer)


def flatten_records(customer: dict[str, Any]) -> dict[str, Any]:
    """The customer with its conflicts and merges as lists of nodes (one page holds them all)."""
    for name in ("identityConflicts", "merges"):
        connection = customer[name]
        assert connection["pageInfo"]["hasNextPage"] is False
        customer[name] = [edge["node"] for edge in connection["edges"]]
    return customer


async def owner(gateway: Gateway, kind: str, value: str) -> str | None:
    body = await gateway.query(OWNER, {"k": kind, "v": value})
    found = body["data"]["customerByIdentity"]
    return None if found is None else str(found["id"])


async def known_customer(gateway: Gateway, *extra: tuple[str, str]) -> tuple[str, str]:
    """A known customer made by a till event: (customer id, email)."""
    email = f"{unique('known')}@example.com"
    status, _ = await post(gateway, "chat", event([("email", email), *extra], "chat", NOW))
    assert status == 200
    found = await owner(gateway, "EMAIL", email)
    assert found is not None
    return found, email


async def test_story_3_a_guest_web_cart_merges_into_the_customer_cart_at_login(
    gateway: Gateway,
) -> None:
    customer, email = await known_customer(gateway)
    await gateway.query(ADD, {"c": customer, "sku": "FX-P1", "q": 1, "key": unique("k")})
    await gateway.query(ADD, {"c": customer, "sku": "FX-P2", "q": 3, "key": unique("k")})
    guest_id = unique("web")
    status, _ = await post(gateway, "web", event([("web_anonymous_id", guest_id)], "view", NOW))
    assert status == 200
    guest = anonymous_customer_id(IdentityKind.WEB_ANONYMOUS_ID, guest_id)
    await gateway.query(ADD, {"c": guest, "sku": "FX-P1", "q": 2, "key": unique("k")})
    await gateway.query(ADD, {"c": guest, "sku": "FX-P5", "q": 1, "key": unique("k")})

    login = event([("web_anonymous_id", guest_id), ("email", email)], "view", NOW, sku="FX-P3")
    assert await post(gateway, "web", login) == (200, ingested(1, 0, merged=1))

    merged = await profile(gateway, customer)
    lines = {line["product"]["sku"]: line["quantity"] for line in merged["cart"]["lines"]}
    assert lines == {"FX-P1": 2, "FX-P2": 3, "FX-P5": 1}  # union, the higher quantity per SKU
    assert {"kind": "WEB_ANONYMOUS_ID", "value": guest_id} in merged["identities"]
    [merge] = merged["merges"]
    assert merge["mergedCustomerId"] == guest
    assert merge["cartRule"] == "union_max"
    # The guest's first view and the login (resolved by its first identifier, the guest's) moved.
    assert merge["interactionCount"] == 2
    history = {edge["node"]["id"] for edge in merged["history"]["edges"]}
    assert login["id"] in history
    assert await owner(gateway, "WEB_ANONYMOUS_ID", guest_id) == customer
    assert (await gateway.query(PROFILE, {"c": guest}))["data"]["customer"] is None
    # The login replayed changes nothing: no second merge.
    assert await post(gateway, "web", login, timestamp=resigned()) == (200, ingested(0, 1))
    assert len((await profile(gateway, customer))["merges"]) == 1


async def test_an_event_joining_two_known_customers_records_a_conflict_and_merges_nothing(
    gateway: Gateway,
) -> None:
    phone = f"+3361{uuid.uuid4().int % 10**7:07d}"
    first, first_email = await known_customer(gateway)
    second, _ = await known_customer(gateway, ("phone", phone))
    till = event([("email", first_email), ("phone", phone)], "purchase", NOW, sku="FX-P6")
    assert await post(gateway, "store", till) == (200, ingested(1, 0, conflicts=1))
    mine = await profile(gateway, first)
    assert mine["identityConflicts"] == [
        {"kind": "PHONE", "value": phone, "reason": "held_by_another_customer",
         "otherCustomerId": second}
    ]  # fmt: skip
    assert mine["merges"] == []
    assert await owner(gateway, "PHONE", phone) == second
    assert till["id"] in {edge["node"]["id"] for edge in mine["history"]["edges"]}


async def test_an_identifier_beyond_the_kind_limit_is_a_conflict_and_is_not_linked(
    gateway: Gateway, graph: GraphDatabase
) -> None:
    installs = [("app_install_id", unique("app")) for _ in range(5)]
    customer, email = await known_customer(gateway, *installs[:4])
    fifth = event([("email", email), installs[4]], "view", NOW)
    assert await post(gateway, "app", fifth) == (200, ingested(1, 0))
    sixth = unique("app")
    login = event([("email", email), ("app_install_id", sixth)], "view", NOW)
    assert await post(gateway, "app", login) == (200, ingested(1, 0, conflicts=1))
    conflicts = (await profile(gateway, customer))["identityConflicts"]
    assert [(c["kind"], c["value"], c["reason"]) for c in conflicts] == [
        ("APP_INSTALL_ID", sixth, "limit_exceeded")
    ]
    assert await owner(gateway, "APP_INSTALL_ID", sixth) is None
    rows = await graph.read("MATCH (i:Identity {value: $v}) RETURN count(i) AS n", {"v": sixth})
    assert rows[0]["n"] == 0  # no identity node left behind by the refused link


async def test_an_event_with_a_new_identifier_links_it_within_the_limits(
    gateway: Gateway,
) -> None:
    customer, email = await known_customer(gateway)
    card = unique("card")
    event_ = event([("email", email), ("loyalty_card", card)], "store_visit", NOW)
    assert await post(gateway, "store", event_) == (200, ingested(1, 0))
    assert await owner(gateway, "LOYALTY_CARD", card) == customer


async def test_a_national_phone_from_the_call_centre_stitches_onto_the_e164_identity(
    gateway: Gateway, graph: GraphDatabase
) -> None:
    digits = f"{uuid.uuid4().int % 10**8:08d}"
    customer, _ = await known_customer(gateway, ("phone", f"+33 6 {digits}"))
    national = "06 " + " ".join(digits[n : n + 2] for n in range(0, 8, 2))
    caller = unique("cc")
    call = event([("phone", national), ("contact_centre_id", caller)], "call", NOW)
    assert await post(gateway, "call_centre", call) == (200, ingested(1, 0))
    assert await owner(gateway, "CONTACT_CENTRE_ID", caller) == customer
    assert await owner(gateway, "PHONE", national) == customer
    rows = await graph.read(
        "MATCH (i:Identity {kind: 'phone'}) WHERE i.value ENDS WITH $digits RETURN i.value AS v",
        {"digits": digits},
    )
    assert [row["v"] for row in rows] == [f"+336{digits}"]


async def test_repeated_views_in_one_category_open_a_journey_that_later_events_extend(
    gateway: Gateway,
) -> None:
    customer, email = await known_customer(gateway)
    me = [("email", email)]
    t = NOW - timedelta(days=2)
    views = [event(me, "view", t + timedelta(hours=n), sku="FX-P5") for n in range(2)]
    assert await post(gateway, "web", {"events": views}) == (200, ingested(2, 0))
    assert (await profile(gateway, customer))["journeys"]["edges"] == []  # two views: no intent

    third = event(me, "view", t + timedelta(hours=5), sku="FX-P6")  # also kitchen
    assert await post(gateway, "app", third) == (200, ingested(1, 0, journeysOpened=1))
    [edge] = (await profile(gateway, customer))["journeys"]["edges"]
    journey = edge["node"]
    assert journey["intent"] == "choose kitchen"
    assert journey["status"] == "ACTIVE"
    assert journey["nextStep"] == "compare in store"
    assert [(s["n"], s["channel"], s["product"]["sku"]) for s in journey["steps"]] == [
        (1, "WEB", "FX-P5"),
        (2, "WEB", "FX-P5"),
        (3, "APP", "FX-P6"),
    ]
    cart = event(me, "add_to_cart", t + timedelta(hours=6), sku="FX-P5")
    assert await post(gateway, "web", cart) == (200, ingested(1, 0, journeysExtended=1))
    bought = event(me, "purchase", t + timedelta(days=1), sku="FX-P6", storeId="FX-ST-A")
    assert await post(gateway, "store", bought) == (200, ingested(1, 0, journeysExtended=1))
    after = await profile(gateway, customer)
    [edge] = after["journeys"]["edges"]
    assert edge["node"]["status"] == "COMPLETED"
    assert edge["node"]["lastChannel"] == "STORE"
    assert [s["type"] for s in edge["node"]["steps"]][3:] == ["ADD_TO_CART", "PURCHASE"]
    assert after["activeJourney"] is None


async def test_a_purchase_that_arrives_after_a_journey_it_predates_does_not_complete_it(
    gateway: Gateway,
) -> None:
    """The till's purchase of last week reaches the gateway late (its system was catching up),
    after this week's views opened "choose kitchen": that journey is still to be finished."""
    customer, email = await known_customer(gateway)
    me = [("email", email)]
    t = NOW - timedelta(days=2)
    views = [event(me, "view", t + timedelta(hours=n), sku="FX-P5") for n in range(3)]
    assert await post(gateway, "web", {"events": views}) == (200, ingested(3, 0, journeysOpened=1))
    earlier = event(me, "purchase", t - timedelta(days=7), sku="FX-P6", storeId="FX-ST-A")
    assert await post(gateway, "store", earlier) == (200, ingested(1, 0))
    after = await profile(gateway, customer)
    [edge] = after["journeys"]["edges"]
    assert edge["node"]["status"] == "ACTIVE"
    assert [s["type"] for s in edge["node"]["steps"]] == ["VIEW"] * 3
    assert after["activeJourney"]["id"] == edge["node"]["id"]


async def test_a_late_event_takes_its_place_in_time_among_a_journeys_steps(
    gateway: Gateway,
) -> None:
    customer, email = await known_customer(gateway)
    me = [("email", email)]
    t = NOW - timedelta(days=2)
    views = [event(me, "view", t + timedelta(hours=n), sku="FX-P5") for n in range(3)]
    assert await post(gateway, "web", {"events": views}) == (200, ingested(3, 0, journeysOpened=1))
    late = event(me, "view", t + timedelta(minutes=30), sku="FX-P6")
    assert await post(gateway, "app", late) == (200, ingested(1, 0, journeysExtended=1))
    [edge] = (await profile(gateway, customer))["journeys"]["edges"]
    journey = edge["node"]
    assert [(s["n"], s["channel"], s["product"]["sku"]) for s in journey["steps"]] == [
        (1, "WEB", "FX-P5"),
        (2, "APP", "FX-P6"),
        (3, "WEB", "FX-P5"),
        (4, "WEB", "FX-P5"),
    ]
    assert journey["lastChannel"] == "WEB"  # where the customer was last, not the late event's


async def test_a_store_visit_with_notes_opens_a_journey_the_website_resumes(
    gateway: Gateway,
) -> None:
    """Story 2 by events: the visit and the items tried are the journey; the web picks it up."""
    customer, email = await known_customer(gateway)
    me = [("email", email)]
    t = NOW - timedelta(hours=6)
    visit = [
        event(me, "store_visit", t, storeId="FX-ST-A", notes="wants a linen sofa, 2 m"),
        event(me, "view", t + timedelta(minutes=10), sku="FX-P1", storeId="FX-ST-A"),
        event(me, "view", t + timedelta(minutes=20), sku="FX-P2", storeId="FX-ST-A"),
    ]
    answer = ingested(3, 0, journeysOpened=1, journeysExtended=2)
    assert await post(gateway, "store", {"events": visit}) == (200, answer)
    later = event(me, "view", t + timedelta(hours=5), sku="FX-P3", storeId="FX-ST-A")
    assert await post(gateway, "store", later) == (200, ingested(1, 0))  # the session is over

    active = (await profile(gateway, customer))["activeJourney"]
    assert active["intent"] == "follow up a store visit"
    body = await gateway.query(RESUME, {"j": active["id"], "key": unique("resume")})
    assert "errors" not in body, body
    hand_off = body["data"]["resumeJourney"]
    assert [(s["n"], s["channel"], s["type"]) for s in hand_off["stepsSoFar"]] == [
        (1, "STORE", "STORE_VISIT"),
        (2, "STORE", "VIEW"),
        (3, "STORE", "VIEW"),
        (4, "WEB", "RESUME"),
    ]
    assert [p["sku"] for p in hand_off["productsTriedInStore"]] == ["FX-P1", "FX-P2"]
    assert hand_off["nextStep"] == "resume online with the assistant's notes"
    assert hand_off["journey"]["lastChannel"] == "WEB"


@pytest.fixture
async def configured(services: Services, graph: GraphDatabase) -> AsyncIterator[Gateway]:
    del graph  # migrated and loaded
    settings = services.settings(
        stitch_cart_rule="anonymous_replaces",
        stitch_limits={"loyalty_card": 0},
        journey_rules=[
            {"event_type": "search", "intent": "find something", "next_step": "call us"},
        ],
        phone_default_region="BE",
    )
    async with running_gateway(settings) as running:
        yield running


async def test_stitching_limits_cart_rule_and_journey_rules_come_from_settings(
    configured: Gateway,
) -> None:
    customer, email = await known_customer(configured)
    await configured.query(ADD, {"c": customer, "sku": "FX-P1", "q": 4, "key": unique("k")})
    guest_id = unique("web")
    await post(configured, "web", event([("web_anonymous_id", guest_id)], "view", NOW))
    guest = anonymous_customer_id(IdentityKind.WEB_ANONYMOUS_ID, guest_id)
    await configured.query(ADD, {"c": guest, "sku": "FX-P2", "q": 1, "key": unique("k")})

    search = event([("web_anonymous_id", guest_id), ("email", email)], "search", NOW, query="lin")
    answer = ingested(1, 0, merged=1, journeysOpened=1)
    assert await post(configured, "web", search) == (200, answer)
    merged = await profile(configured, customer)
    assert [line["product"]["sku"] for line in merged["cart"]["lines"]] == ["FX-P2"]
    assert merged["merges"][0]["cartRule"] == "anonymous_replaces"
    assert merged["activeJourney"]["intent"] == "find something"

    card = event([("email", email), ("loyalty_card", unique("card"))], "chat", NOW)
    assert await post(configured, "store", card) == (200, ingested(1, 0, conflicts=1))


async def test_a_phone_without_its_country_code_is_read_in_the_configured_region(
    configured: Gateway,
) -> None:
    digits = f"{uuid.uuid4().int % 10**6:06d}"
    customer, _ = await known_customer(configured, ("phone", f"0470 {digits}"))
    assert await owner(configured, "PHONE", f"+32 470 {digits}") == customer
    assert await owner(configured, "PHONE", f"+32470{digits}") == customer
    identities = (await profile(configured, customer))["identities"]
    assert {"kind": "PHONE", "value": f"+32470{digits}"} in identities
