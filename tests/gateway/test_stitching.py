"""Identity stitching: anonymous profiles merge into known customers; false merges are refused."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from graph import GraphDatabase
from graph.stitching import merge_cart_lines
from tests.conftest import Gateway
from tests.gateway.test_ingest_effects import flatten_records

LINK = """
mutation($c: ID!, $k: IdentityKind!, $v: String!) {
  linkIdentity(customerId: $c, kind: $k, value: $v, channel: WEB) {
    outcome customerId mergeId conflictId reason
  }
}
"""
PROFILE = """
query($c: ID!) { customer(id: $c) {
  identities { kind value }
  cart { version lines { quantity product { sku } } }
  history(first: 20) { edges { node { id } } }
  identityConflicts(first: 50) {
    edges { node { kind value reason otherCustomerId } } pageInfo { hasNextPage } }
  merges(first: 50) {
    edges { node { mergedCustomerId identities interactionCount cartRule } }
    pageInfo { hasNextPage } }
} }
"""
T = datetime(2026, 10, 1, tzinfo=UTC)


async def _profile(gateway: Gateway, customer_id: str) -> dict[str, Any]:
    body = await gateway.query(PROFILE, {"c": customer_id})
    assert "errors" not in body, body
    return flatten_records(body["data"]["customer"])


@pytest.fixture
def make_customer(graph: GraphDatabase):
    async def make(
        identities: list[tuple[str, str]], cart: list[tuple[str, int]] = (), events: int = 0
    ) -> str:
        cid = f"cus_stitch_{uuid.uuid4().hex[:12]}"
        await graph.write(
            "CREATE (c:Customer {id: $id, displayName: 'Stitch', createdAt: datetime()}) "
            "WITH c UNWIND $identities AS i "
            "MERGE (n:Identity {kind: i[0], value: i[1]}) "
            "CREATE (c)-[:IDENTIFIED_BY {since: datetime(), source: 'web', confidence: 1.0}]->(n)",
            {"id": cid, "identities": [list(i) for i in identities]},
        )
        if cart:
            await graph.write(
                "MATCH (c:Customer {id: $id}) "
                "CREATE (c)-[:HAS_CART]->(k:Cart {id: 'cart-' + $id, version: 1, "
                "status: 'active', updatedAt: datetime()}) "
                "WITH k UNWIND range(0, size($lines) - 1) AS n "
                "MATCH (p:Product {sku: $lines[n][0]}) "
                "CREATE (k)-[:CONTAINS {qty: $lines[n][1], addedAt: $at + duration({minutes: n}),"
                " addedVia: 'web'}]->(p)",
                {"id": cid, "lines": [list(line) for line in cart], "at": T},
            )
        for n in range(events):
            await graph.write(
                "MATCH (c:Customer {id: $id}) CREATE (c)-[:DID]->(:Interaction {id: $eid, "
                "at: $at, type: 'view', channel: 'web'})",
                {"id": cid, "eid": f"evt-{cid}-{n}", "at": T - timedelta(hours=n)},
            )
        return cid

    return make


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def known_and_guest(make_customer: Any, label: str) -> tuple[str, str, str]:
    """A known customer (by email) and an anonymous guest (by web id): email, known, guest."""
    email = f"{unique(label)}@example.com"
    known = await make_customer([("email", email)])
    guest = await make_customer([("web_anonymous_id", unique("web"))])
    return email, known, guest


async def log_guest_in(gateway: Gateway, guest: str, email: str) -> None:
    """The guest proves the known customer's email: the guest merges into them."""
    body = await gateway.query(LINK, {"c": guest, "k": "EMAIL", "v": email})
    assert body["data"]["linkIdentity"]["outcome"] == "MERGED"


async def test_an_anonymous_profile_merges_into_the_known_customer_at_login(
    gateway: Gateway, make_customer
):
    email, web_id = f"{unique('login')}@example.com", unique("web")
    known = await make_customer([("email", email)], cart=[("FX-P1", 2), ("FX-P2", 1)], events=1)
    guest = await make_customer(
        [("web_anonymous_id", web_id)], cart=[("FX-P1", 1), ("FX-P3", 4)], events=2
    )
    body = await gateway.query(LINK, {"c": guest, "k": "EMAIL", "v": email.upper()})
    link = body["data"]["linkIdentity"]
    assert link["outcome"] == "MERGED"
    assert link["customerId"] == known
    assert link["mergeId"]

    profile = await _profile(gateway, known)
    assert {(i["kind"], i["value"]) for i in profile["identities"]} == {
        ("EMAIL", email),
        ("WEB_ANONYMOUS_ID", web_id),
    }
    assert profile["cart"]["version"] == 2
    assert sorted(
        (line["product"]["sku"], line["quantity"]) for line in profile["cart"]["lines"]
    ) == [("FX-P1", 2), ("FX-P2", 1), ("FX-P3", 4)]  # union, same SKU keeps the higher quantity
    assert {e["node"]["id"] for e in profile["history"]["edges"]} == {
        f"evt-{known}-0",
        f"evt-{guest}-0",
        f"evt-{guest}-1",
    }
    assert profile["merges"] == [
        {
            "mergedCustomerId": guest,
            "identities": [f"web_anonymous_id:{web_id}"],
            "interactionCount": 2,
            "cartRule": "union_max",
        }
    ]
    gone = await gateway.query("query($c: ID!) { customer(id: $c) { id } }", {"c": guest})
    assert gone["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    found = await gateway.query(
        "query($v: String!) { customerByIdentity(kind: WEB_ANONYMOUS_ID, value: $v) { id } }",
        {"v": web_id},
    )
    assert found["data"]["customerByIdentity"] == {"id": known}


async def test_a_cart_a_merge_opens_goes_on_from_the_survivor_s_last_version(
    gateway: Gateway, graph: GraphDatabase, make_customer
):
    """The known customer checked out a cart at version 5: the cart the guest's lines open for
    them goes on from there, so a version of the ordered cart a client still holds never
    matches it."""
    email, web_id = f"{unique('reopen')}@example.com", unique("web")
    known = await make_customer([("email", email)])
    await graph.write(
        "MATCH (c:Customer {id: $id}) CREATE (c)-[:HAS_CART]->(:Cart {id: 'ordered-' + $id, "
        "version: 5, status: 'ordered', updatedAt: datetime()})",
        {"id": known},
    )
    guest = await make_customer([("web_anonymous_id", web_id)], cart=[("FX-P1", 1)])
    await log_guest_in(gateway, guest, email)
    profile = await _profile(gateway, known)
    assert profile["cart"]["version"] == 6
    assert profile["cart"]["lines"] == [{"quantity": 1, "product": {"sku": "FX-P1"}}]


async def test_a_merge_keeps_the_100_most_recently_added_lines_and_lists_the_others(
    gateway: Gateway, graph: GraphDatabase, make_customer
):
    """Two carts of 60 products each: the merged cart keeps the 100 newest lines (a cart never
    holds more than a mutation may fill), the 20 oldest are on the merge record, and a new
    product is refused as in any full cart. The merge used to keep all 120 lines."""
    tag = uuid.uuid4().hex[:8]
    mine, theirs = ([f"CAP-{tag}-{side}{n:02d}" for n in range(60)] for side in "ab")
    await graph.write(
        "UNWIND $skus AS sku CREATE (:Product {sku: sku, name: sku, category: 'test', "
        "brand: 'Test'})",
        {"skus": [*mine, *theirs, f"CAP-{tag}-new"]},
    )
    try:
        await _merge_two_carts_of_60(gateway, make_customer, tag, mine, theirs)
    finally:
        await graph.write(
            "MATCH (p:Product) WHERE p.sku STARTS WITH $prefix DETACH DELETE p",
            {"prefix": f"CAP-{tag}-"},
        )


async def _merge_two_carts_of_60(
    gateway: Gateway, make_customer: Any, tag: str, mine: list[str], theirs: list[str]
) -> None:
    email, web_id = f"{unique('cap')}@example.com", unique("web")
    known = await make_customer([("email", email)], cart=[(sku, 1) for sku in mine])
    guest = await make_customer([("web_anonymous_id", web_id)], cart=[(sku, 2) for sku in theirs])
    await log_guest_in(gateway, guest, email)

    body = await gateway.query(
        """query($c: ID!) { customer(id: $c) {
             cart { version lines { quantity product { sku } } }
             merges(first: 1) { edges { node { droppedCartLines { sku quantity } } } } } }""",
        {"c": known},
    )
    assert "errors" not in body, body
    customer = body["data"]["customer"]
    # Both carts' lines n were added at T + n minutes: the oldest 10 minutes of each go.
    newest = sorted([(sku, 1) for sku in mine[10:]] + [(sku, 2) for sku in theirs[10:]])
    kept = [(line["product"]["sku"], line["quantity"]) for line in customer["cart"]["lines"]]
    assert sorted(kept) == newest
    [merge] = customer["merges"]["edges"]
    dropped = [(line["sku"], line["quantity"]) for line in merge["node"]["droppedCartLines"]]
    assert dropped == [pair for n in range(10) for pair in ((mine[n], 1), (theirs[n], 2))]

    added = await gateway.query(
        """mutation($c: ID!, $sku: ID!, $key: String!) {
             addCartItem(customerId: $c, sku: $sku, channel: WEB, idempotencyKey: $key) {
               version } }""",
        {"c": known, "sku": f"CAP-{tag}-new", "key": unique("cap")},
    )
    assert added["errors"][0]["extensions"]["maxLines"] == 100, added


ADD = """
mutation($c: ID!, $key: String!) {
  addCartItem(customerId: $c, sku: "FX-P2", quantity: 2, channel: WEB, idempotencyKey: $key) {
    id version status lines { quantity addedVia product { sku } } }
}
"""


async def test_a_guest_s_cart_write_retried_after_the_merge_replays_its_first_answer(
    gateway: Gateway, make_customer
):
    """The guest's answer was lost and the guest logged in meanwhile: the retry (same key, same
    arguments) gets the first answer, as any retry does, not NOT_FOUND for the merged guest, and
    changes nothing."""
    email, known, guest = await known_and_guest(make_customer, "retry")
    idem = f"retry-{uuid.uuid4().hex}"
    first = await gateway.query(ADD, {"c": guest, "key": idem})
    assert "errors" not in first, first
    await log_guest_in(gateway, guest, email)
    merged = (await _profile(gateway, known))["cart"]

    again = await gateway.query(ADD, {"c": guest, "key": idem})
    assert "errors" not in again, again
    assert again["data"] == first["data"]
    assert (await _profile(gateway, known))["cart"] == merged
    other = await gateway.query(ADD, {"c": guest, "key": f"retry-{uuid.uuid4().hex}"})
    assert other["errors"][0]["extensions"]["code"] == "NOT_FOUND"  # a new write: no guest


async def test_linking_again_changes_nothing(gateway: Gateway, make_customer):
    email = f"{unique('again')}@example.com"
    known = await make_customer([("email", email)])
    web_id = unique("web")
    first = await gateway.query(LINK, {"c": known, "k": "WEB_ANONYMOUS_ID", "v": web_id})
    assert first["data"]["linkIdentity"]["outcome"] == "LINKED"
    again = await gateway.query(LINK, {"c": known, "k": "WEB_ANONYMOUS_ID", "v": web_id})
    assert again["data"]["linkIdentity"]["outcome"] == "ALREADY_LINKED"
    profile = await _profile(gateway, known)
    assert len(profile["identities"]) == 2
    assert profile["merges"] == []


async def test_two_known_customers_are_never_merged_automatically(gateway: Gateway, make_customer):
    phone = f"+3361{uuid.uuid4().int % 10**7:07d}"
    first = await make_customer([("email", f"{unique('a')}@example.com"), ("phone", phone)])
    second = await make_customer([("email", f"{unique('b')}@example.com")], events=1)
    body = await gateway.query(LINK, {"c": second, "k": "PHONE", "v": phone})
    link = body["data"]["linkIdentity"]
    assert link["outcome"] == "CONFLICT"
    assert link["reason"] == "held_by_another_customer"
    profile = await _profile(gateway, second)
    assert profile["identityConflicts"] == [
        {
            "kind": "PHONE",
            "value": phone,
            "reason": "held_by_another_customer",
            "otherCustomerId": first,
        }
    ]
    assert len(profile["identities"]) == 1
    first_profile = await _profile(gateway, first)
    assert ("PHONE", phone) in {(i["kind"], i["value"]) for i in first_profile["identities"]}


async def test_a_known_customer_changing_email_is_never_merged_into_the_email_s_holder(
    gateway: Gateway, make_customer
):
    # With one email per customer, changing it is unlink then link: in between, the customer
    # holds no identifier at all, which is no sign of a guest.
    old, taken = f"{unique('old')}@example.com", f"{unique('taken')}@example.com"
    alice = await make_customer([("email", old)], cart=[("FX-P1", 2)], events=2)
    bob = await make_customer([("email", taken)])
    unlink = await gateway.query(
        "mutation($c: ID!, $v: String!) { unlinkIdentity(customerId: $c, kind: EMAIL, value: $v) }",
        {"c": alice, "v": old},
    )
    assert unlink["data"]["unlinkIdentity"] is True
    body = await gateway.query(LINK, {"c": alice, "k": "EMAIL", "v": taken})
    link = body["data"]["linkIdentity"]
    assert (link["outcome"], link["customerId"], link["reason"]) == (
        "CONFLICT",
        alice,
        "held_by_another_customer",
    )
    profile = await _profile(gateway, alice)  # still there, with all she had
    assert profile["identities"] == []
    assert len(profile["history"]["edges"]) == 2
    assert profile["cart"]["lines"] == [{"quantity": 2, "product": {"sku": "FX-P1"}}]
    bob_profile = await _profile(gateway, bob)
    assert bob_profile["merges"] == []
    assert bob_profile["history"]["edges"] == []


async def test_a_phone_linked_as_a_national_number_is_held_in_e164(gateway: Gateway, make_customer):
    digits = f"{uuid.uuid4().int % 10**8:08d}"
    customer = await make_customer([("email", f"{unique('n')}@example.com")])
    body = await gateway.query(LINK, {"c": customer, "k": "PHONE", "v": f"07.{digits}"})
    assert body["data"]["linkIdentity"]["outcome"] == "LINKED", body
    profile = await _profile(gateway, customer)
    assert {"kind": "PHONE", "value": f"+337{digits}"} in profile["identities"]
    again = await gateway.query(LINK, {"c": customer, "k": "PHONE", "v": f"+33 7 {digits}"})
    assert again["data"]["linkIdentity"]["outcome"] == "ALREADY_LINKED"


async def test_two_known_customers_linking_one_new_email_at_once_never_both_hold_it(
    gateway: Gateway, graph: GraphDatabase, make_customer
):
    # Each is known by a phone (an email each would leave no room under the email limit of 1).
    for _ in range(8):  # the race needs both reads of the holder before either link commits
        first, second = [
            await make_customer([("phone", f"+3362{uuid.uuid4().int % 10**7:07d}")])
            for _ in range(2)
        ]
        email = f"{unique('race')}@example.com"
        bodies = await asyncio.gather(
            *(gateway.query(LINK, {"c": c, "k": "EMAIL", "v": email}) for c in (first, second))
        )
        links = [body["data"]["linkIdentity"] for body in bodies]
        assert sorted((link["outcome"], link["reason"]) for link in links) == [
            ("CONFLICT", "held_by_another_customer"),
            ("LINKED", None),
        ]
        [winner] = [link["customerId"] for link in links if link["outcome"] == "LINKED"]
        holders = await graph.read(
            "MATCH (i:Identity {kind: 'email', value: $v}) "
            "OPTIONAL MATCH (i)<-[:IDENTIFIED_BY]-(c:Customer) RETURN i.value AS v, c.id AS c",
            {"v": email},
        )
        assert holders == [{"v": email, "c": winner}]


async def test_an_identifier_beyond_the_per_kind_limit_is_a_conflict(
    gateway: Gateway, graph: GraphDatabase, make_customer
):
    installs = [("app_install_id", unique("app")) for _ in range(5)]
    customer = await make_customer([("email", f"{unique('lim')}@example.com"), *installs])
    refused = unique("app")
    body = await gateway.query(LINK, {"c": customer, "k": "APP_INSTALL_ID", "v": refused})
    assert body["data"]["linkIdentity"]["outcome"] == "CONFLICT"
    assert body["data"]["linkIdentity"]["reason"] == "limit_exceeded"
    profile = await _profile(gateway, customer)
    assert len(profile["identities"]) == 6
    # No trace of the refused identifier but the conflict record (no Identity nobody holds).
    rows = await graph.read("MATCH (i:Identity {value: $v}) RETURN count(i) AS n", {"v": refused})
    assert rows == [{"n": 0}]


async def test_unlinking_removes_the_identifier(gateway: Gateway, make_customer):
    web_id = unique("web")
    customer = await make_customer(
        [("email", f"{unique('un')}@example.com"), ("web_anonymous_id", web_id)]
    )
    body = await gateway.query(
        "mutation($c: ID!, $v: String!) { unlinkIdentity(customerId: $c, "
        "kind: WEB_ANONYMOUS_ID, value: $v) }",
        {"c": customer, "v": web_id},
    )
    assert body["data"]["unlinkIdentity"] is True
    found = await gateway.query(
        "query($v: String!) { customerByIdentity(kind: WEB_ANONYMOUS_ID, value: $v) { id } }",
        {"v": web_id},
    )
    assert found["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_bad_links_are_refused_with_codes(gateway: Gateway):
    unknown = await gateway.query(LINK, {"c": "cus_nobody_x", "k": "EMAIL", "v": "x@example.com"})
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    bad = await gateway.query(LINK, {"c": "cus_alice", "k": "EMAIL", "v": "not an email"})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert bad["extensions"]["cypherRoundTrips"] == 0


def test_the_cart_merge_rules():
    survivor = [{"sku": "A", "qty": 2, "addedAt": "1"}, {"sku": "B", "qty": 1, "addedAt": "2"}]
    guest = [{"sku": "A", "qty": 5, "addedAt": "3"}, {"sku": "C", "qty": 1, "addedAt": "4"}]
    union = merge_cart_lines(survivor, guest, "union_max")
    assert [(line["sku"], line["qty"]) for line in union] == [("A", 5), ("B", 1), ("C", 1)]
    assert merge_cart_lines(survivor, guest, "anonymous_replaces") == guest
    assert merge_cart_lines(survivor, [], "anonymous_replaces") == survivor


CONFLICT_PAGE = """
query($a: ID!, $b: ID!, $first: Int!, $after: String) {
  a: customer(id: $a) { identityConflicts(first: $first, after: $after) {
    edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage endCursor } } }
  b: customer(id: $b) { identityConflicts(first: $first) { edges { node { id } } } }
}
"""


async def test_identity_conflicts_come_a_page_at_a_time_newest_first(
    gateway: Gateway, graph: GraphDatabase, make_customer
):
    a = await make_customer([("phone", unique("+3360"))])
    b = await make_customer([("phone", unique("+3361"))])
    for customer, count in ((a, 3), (b, 1)):
        await graph.write(
            "MATCH (c:Customer {id: $id}) UNWIND range(1, $count) AS n "
            "CREATE (c)-[:HAS_CONFLICT]->(:IdentityConflict {id: $id + '-k' + n, kind: 'email', "
            "value: 'x' + n + '@example.com', reason: 'held_by_another_customer', "
            "at: $at + duration({minutes: n}), source: 'web'})",
            {"id": customer, "count": count, "at": T},
        )

    first = await gateway.query(CONFLICT_PAGE, {"a": a, "b": b, "first": 2})
    page = first["data"]["a"]["identityConflicts"]
    assert [e["node"]["id"] for e in page["edges"]] == [f"{a}-k3", f"{a}-k2"]
    assert page["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "endCursor": page["edges"][-1]["cursor"],
    }
    assert [e["node"]["id"] for e in first["data"]["b"]["identityConflicts"]["edges"]] == [
        f"{b}-k1"
    ]
    assert first["extensions"]["cypherRoundTrips"] == 2  # profiles, then both customers' pages

    rest = await gateway.query(
        CONFLICT_PAGE, {"a": a, "b": b, "first": 2, "after": page["pageInfo"]["endCursor"]}
    )
    page = rest["data"]["a"]["identityConflicts"]
    assert [e["node"]["id"] for e in page["edges"]] == [f"{a}-k1"]
    assert page["pageInfo"]["hasNextPage"] is False
    assert page["pageInfo"]["hasPreviousPage"] is True

    for variables in ({"first": 0}, {"first": 2, "after": "not-a-cursor"}):
        body = await gateway.query(CONFLICT_PAGE, {"a": a, "b": b, "first": 2, **variables})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_after_a_merge_the_survivor_has_one_consent_per_purpose_and_can_withdraw_it(
    gateway: Gateway, graph: GraphDatabase, make_customer
):
    """The guest's consents the survivor lacked become the survivor's own (a later decision
    replaces them); those it had are dropped. A moved consent used to keep the guest's id, so a
    withdrawal added a second record and the old grant still counted."""
    email, known, guest = await known_and_guest(make_customer, "consent")
    await graph.write(
        "MATCH (k:Customer {id: $known}), (g:Customer {id: $guest}) "
        "CREATE (k)-[:CONSENTED]->(:Consent {id: $known + ':marketing', purpose: 'marketing', "
        "  granted: false, at: datetime(), source: 'web'}) "
        "CREATE (g)-[:CONSENTED]->(:Consent {id: $guest + ':marketing', purpose: 'marketing', "
        "  granted: true, at: datetime(), source: 'web'}) "
        "CREATE (g)-[:CONSENTED]->(:Consent {id: $guest + ':personalisation', "
        "  purpose: 'personalisation', granted: true, at: datetime(), source: 'app'})",
        {"known": known, "guest": guest},
    )
    await log_guest_in(gateway, guest, email)

    withdraw = await gateway.query(
        "mutation($c: ID!) { setConsent(customerId: $c, purpose: PERSONALISATION, "
        "granted: false, channel: WEB) { granted } }",
        {"c": known},
    )
    assert withdraw["data"]["setConsent"] == {"granted": False}
    consents = await gateway.query(
        "query($c: ID!) { customer(id: $c) { consents { purpose granted } } }", {"c": known}
    )
    assert sorted(
        (c["purpose"], c["granted"]) for c in consents["data"]["customer"]["consents"]
    ) == [("MARKETING", False), ("PERSONALISATION", False)]
    left = await graph.read(
        "MATCH (k:Consent) WHERE k.id STARTS WITH $guest RETURN count(k) AS n", {"guest": guest}
    )
    assert left == [{"n": 0}]


async def test_a_decision_replaces_a_consent_an_earlier_merge_left_under_the_guest_s_id(
    gateway: Gateway, graph: GraphDatabase, make_customer
):
    known = await make_customer([("email", f"{unique('old-merge')}@example.com")])
    await graph.write(
        "MATCH (k:Customer {id: $known}) "
        "CREATE (k)-[:CONSENTED]->(:Consent {id: 'cus_guest_before:partner_sharing', "
        "  purpose: 'partner_sharing', granted: true, at: datetime(), source: 'web'})",
        {"known": known},
    )
    await gateway.query(
        "mutation($c: ID!) { setConsent(customerId: $c, purpose: PARTNER_SHARING, "
        "granted: false, channel: WEB) { granted } }",
        {"c": known},
    )
    consents = await gateway.query(
        "query($c: ID!) { customer(id: $c) { consents { purpose granted } } }", {"c": known}
    )
    assert consents["data"]["customer"]["consents"] == [
        {"purpose": "PARTNER_SHARING", "granted": False}
    ]


async def test_the_guest_s_journey_and_the_customer_s_of_one_intent_become_one(
    gateway: Gateway, graph: GraphDatabase, make_customer
):
    email, known, guest = await known_and_guest(make_customer, "journey")
    await graph.write(
        "UNWIND $journeys AS row "
        "MATCH (c:Customer {id: row.customer}) "
        "CREATE (c)-[:ON_JOURNEY]->(j:Journey {id: row.id, intent: 'buy a sofa', "
        "  status: 'active', startedAt: row.steps[0].at, lastChannel: last(row.steps).channel, "
        "  nextStep: row.next}) "
        "WITH c, j, row UNWIND range(0, size(row.steps) - 1) AS k "
        "CREATE (c)-[:DID]->(x:Interaction {id: row.id + '-' + k, at: row.steps[k].at, "
        "  type: 'view', channel: row.steps[k].channel}) "
        "CREATE (j)-[:STEP {n: k + 1}]->(x)",
        {
            "journeys": [
                {
                    "customer": known,
                    "id": f"jrn-{known}",
                    "next": "Book a visit",
                    "steps": [{"at": T - timedelta(hours=3), "channel": "web"}],
                },
                {
                    "customer": guest,
                    "id": f"jrn-{guest}",
                    "next": "Try it in store",
                    "steps": [
                        {"at": T - timedelta(hours=2), "channel": "store"},
                        {"at": T, "channel": "app"},
                    ],
                },
            ]
        },
    )

    await log_guest_in(gateway, guest, email)

    journeys = await gateway.query(
        "query($c: ID!) { customer(id: $c) { journeys(first: 10) { edges { node { "
        "id status lastChannel nextStep steps { n channel } } } } } }",
        {"c": known},
    )
    [journey] = [e["node"] for e in journeys["data"]["customer"]["journeys"]["edges"]]
    assert journey["id"] == f"jrn-{known}"
    assert journey["status"] == "ACTIVE"
    assert journey["lastChannel"] == "APP"
    assert journey["nextStep"] == "Try it in store"
    assert sorted((s["n"], s["channel"]) for s in journey["steps"]) == [
        (1, "WEB"),
        (2, "STORE"),
        (3, "APP"),
    ]
    record = await graph.read(
        "MATCH (:Customer {id: $c})-[:MERGED]->(m:Merge) RETURN m.joinedJourneys AS joined",
        {"c": known},
    )
    assert record == [{"joined": [f"jrn-{guest}"]}]


async def test_what_was_read_of_the_guest_is_audited_under_the_survivor(
    gateway: Gateway, graph: GraphDatabase, make_customer
):
    email, known, guest = await known_and_guest(make_customer, "audit")
    entry = f"audit-{guest}"
    await graph.write(
        "CREATE (:AuditEntry {id: $id, at: datetime(), partnerId: 'p-1', action: 'read', "
        "customerId: $guest, fields: ['Customer.cart']})",
        {"id": entry, "guest": guest},
    )
    await log_guest_in(gateway, guest, email)

    rows = await graph.read(
        "MATCH (e:AuditEntry {id: $id}) RETURN e.customerId AS customer", {"id": entry}
    )
    assert rows == [{"customer": known}]


RESUME = """
mutation($j: ID!, $key: String!) {
  resumeJourney(journeyId: $j, channel: WEB, idempotencyKey: $key) {
    journey { id steps { n channel type } } nextStep
  }
}
"""


async def test_a_resumption_retried_after_its_journey_was_joined_away_replays_its_first_answer(
    gateway: Gateway, graph: GraphDatabase, make_customer
):
    email, known, guest = await known_and_guest(make_customer, "resume")
    await graph.write(
        "UNWIND [[$known, -3], [$guest, -2]] AS row "
        "MATCH (c:Customer {id: row[0]}) "
        "CREATE (c)-[:ON_JOURNEY]->(j:Journey {id: 'jrn-' + row[0], intent: 'buy a sofa', "
        "  status: 'active', startedAt: $at + duration({hours: row[1]}), lastChannel: 'web'}) "
        "CREATE (c)-[:DID]->(x:Interaction {id: 'view-' + row[0], type: 'view', channel: 'web', "
        "  at: $at + duration({hours: row[1]})}) "
        "CREATE (j)-[:STEP {n: 1}]->(x)",
        {"known": known, "guest": guest, "at": T},
    )
    key = unique("resume-key")
    first = await gateway.query(RESUME, {"j": f"jrn-{guest}", "key": key})
    assert "errors" not in first, first

    await log_guest_in(gateway, guest, email)  # the guest's journey is joined into the known's

    again = await gateway.query(RESUME, {"j": f"jrn-{guest}", "key": key})
    assert "errors" not in again, again
    assert again["data"] == first["data"]
    assert again["data"]["resumeJourney"]["journey"]["id"] == f"jrn-{guest}"
    fresh = await gateway.query(RESUME, {"j": f"jrn-{guest}", "key": unique("resume-key")})
    assert fresh["errors"][0]["extensions"]["code"] == "NOT_FOUND"
