"""A partner restricted to consenting customers, writing identities and retrying writes: it learns
nothing of customers who did not consent (no id through a conflict or a merge, no purposes that
tell them from nobody), and a retry after the customer it wrote to was merged is judged by the
survivor's consents (the same person, consents moved by the merge rules)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from graph import GraphDatabase
from tests.access.conftest import MakeCustomer, MakePartner, call
from tests.conftest import Gateway

LINK = """
mutation($c: ID!, $k: IdentityKind!, $v: String!) {
  linkIdentity(customerId: $c, kind: $k, value: $v, channel: PARTNER) {
    outcome customerId mergeId conflictId reason
  }
}
"""
PROFILE = """
query($c: ID!) { customer(id: $c) {
  id identities { kind value }
  identityConflicts(first: 20) { edges { node { kind reason otherCustomerId } } }
} }
"""
CONFLICTS = """
query($c: ID!) { customer(id: $c) {
  identityConflicts(first: 20) { edges { node { kind reason otherCustomerId } } }
} }
"""
ADD = """
mutation($c: ID!, $k: String!) {
  addCartItem(customerId: $c, sku: "FX-P2", quantity: 2, channel: PARTNER, idempotencyKey: $k) {
    id version lines { quantity product { sku } } }
}
"""
REFUSAL = "this customer has not consented to what this partner needs"

MakeGuest = Callable[..., Awaitable[tuple[str, str]]]


@pytest.fixture
async def make_guest(graph: GraphDatabase) -> AsyncIterator[MakeGuest]:
    """An anonymous profile (one web id) with the given consents: its id and web id."""
    made: list[str] = []

    async def make(**consents: bool) -> tuple[str, str]:
        guest, web_id = f"cus_anon_acc{uuid.uuid4().hex[:12]}", f"web-acc-{uuid.uuid4().hex}"
        await graph.write(
            "CREATE (c:Customer {id: $id, displayName: 'Guest', createdAt: datetime()}) "
            "CREATE (c)-[:IDENTIFIED_BY {since: datetime(), source: 'web', confidence: 0.9}]->"
            "(:Identity {kind: 'web_anonymous_id', value: $web}) "
            "WITH c UNWIND $consents AS k "
            "CREATE (c)-[:CONSENTED]->(:Consent {id: $id + ':' + k.purpose, purpose: k.purpose, "
            "granted: k.granted, at: datetime(), source: 'web'})",
            {
                "id": guest,
                "web": web_id,
                "consents": [{"purpose": p, "granted": g} for p, g in consents.items()],
            },
        )
        made.append(guest)
        return guest, web_id

    yield make
    await graph.write(
        "UNWIND $ids AS id MATCH (c:Customer {id: id}) "
        "OPTIONAL MATCH (c)-[:IDENTIFIED_BY|CONSENTED|DID|HAS_CART]->(n) DETACH DELETE c, n",
        {"ids": made},
    )


def _refusal(answer: Any, field: str) -> dict[str, Any]:
    assert answer.data == {field: None}, answer.body
    [error] = answer.body["errors"]
    return {
        "message": error["message"],
        "code": error["extensions"]["code"],
        "purposes": error["extensions"].get("purposes"),
    }


async def test_a_restricted_partner_linking_an_identifier_a_refusing_customer_holds_learns_nothing(
    gateway: Gateway,
    secure_gateway: Gateway,
    make_partner: MakePartner,
    make_customer: MakeCustomer,
):
    consenting = await make_customer(partner_sharing=True)
    refusing = await make_customer(partner_sharing=False)
    silent = await make_customer()
    _, key = await make_partner("identity:write", "customer:read", restriction="partner_sharing")
    before = (await call(gateway, PROFILE, {"c": consenting})).data
    unknown = _refusal(
        await call(
            secure_gateway,
            LINK,
            {"c": f"cus_nobody_{uuid.uuid4().hex[:8]}", "k": "PHONE", "v": "+33612345678"},
            key=key,
        ),
        "linkIdentity",
    )
    assert unknown == {"message": REFUSAL, "code": "FORBIDDEN", "purposes": ["partner_sharing"]}
    for holder in (refusing, silent):
        answer = await call(
            secure_gateway,
            LINK,
            {"c": consenting, "k": "EMAIL", "v": f"{holder}@example.test"},
            key=key,
        )
        # The answer it gets for any customer it may not see: no CONFLICT naming the holder.
        assert _refusal(answer, "linkIdentity") == unknown
        holder_now = (await call(gateway, PROFILE, {"c": holder})).data["customer"]
        assert {"kind": "EMAIL", "value": f"{holder}@example.test"} in holder_now["identities"]
    # Nothing was written: no conflict on the consenting customer to read the holder's id from.
    assert (await call(gateway, PROFILE, {"c": consenting})).data == before
    # An identifier nobody holds is still linked.
    free = await call(
        secure_gateway,
        LINK,
        {"c": consenting, "k": "PHONE", "v": f"+3361{uuid.uuid4().int % 10**7:07d}"},
        key=key,
    )
    assert free.data["linkIdentity"]["outcome"] == "LINKED", free.body


async def test_a_restricted_partner_cannot_merge_a_guest_into_a_refusing_customer_to_learn_its_id(
    gateway: Gateway,
    secure_gateway: Gateway,
    make_partner: MakePartner,
    make_customer: MakeCustomer,
    make_guest: MakeGuest,
):
    """The guest (consenting) linked to a refusing customer's email would merge into them, and
    the answer would name the survivor: the refusing customer's id."""
    refusing = await make_customer(partner_sharing=False)
    guest, _ = await make_guest(partner_sharing=True)
    _, key = await make_partner("identity:write", "customer:read", restriction="partner_sharing")
    answer = await call(
        secure_gateway,
        LINK,
        {"c": guest, "k": "EMAIL", "v": f"{refusing}@example.test"},
        key=key,
    )
    assert _refusal(answer, "linkIdentity") == {
        "message": REFUSAL,
        "code": "FORBIDDEN",
        "purposes": ["partner_sharing"],
    }
    assert refusing not in str(answer.body)
    still = await call(gateway, PROFILE, {"c": guest})
    assert still.data["customer"]["id"] == guest  # not merged


async def test_a_restricted_partner_reads_no_id_of_a_refusing_customer_in_identity_conflicts(
    gateway: Gateway,
    secure_gateway: Gateway,
    make_partner: MakePartner,
    make_customer: MakeCustomer,
):
    consenting = await make_customer(partner_sharing=True)
    refusing = await make_customer(partner_sharing=False)
    other_consenting = await make_customer(partner_sharing=True)
    for holder in (refusing, other_consenting):  # recorded by an unrestricted caller
        linked = await call(
            gateway, LINK, {"c": consenting, "k": "EMAIL", "v": f"{holder}@example.test"}
        )
        assert linked.data["linkIdentity"]["outcome"] == "CONFLICT", linked.body
    _, key = await make_partner("customer:read", restriction="partner_sharing")
    seen = await call(secure_gateway, CONFLICTS, {"c": consenting}, key=key)
    assert "errors" not in seen.body, seen.body
    others = {
        edge["node"]["otherCustomerId"]
        for edge in seen.data["customer"]["identityConflicts"]["edges"]
    }
    assert others == {None, other_consenting}
    unrestricted = await call(gateway, PROFILE, {"c": consenting})
    assert {
        edge["node"]["otherCustomerId"]
        for edge in unrestricted.data["customer"]["identityConflicts"]["edges"]
    } == {refusing, other_consenting}


async def test_a_customer_granting_some_of_the_purposes_is_refused_as_an_unknown_one(
    secure_gateway: Gateway, make_partner: MakePartner, make_customer: MakeCustomer
):
    """Listing only the missing purposes told a customer who granted some from nobody."""
    partly = await make_customer(marketing=True, partner_sharing=False)
    _, key = await make_partner(
        "customer:read", purposes=("marketing",), restriction="partner_sharing"
    )
    query = "query($c: ID!) { customer(id: $c) { id } }"
    known = _refusal(await call(secure_gateway, query, {"c": partly}, key=key), "customer")
    nobody = _refusal(
        await call(secure_gateway, query, {"c": f"cus_nobody_{uuid.uuid4().hex[:8]}"}, key=key),
        "customer",
    )
    assert known == nobody
    assert nobody["purposes"] == ["marketing", "partner_sharing"]


async def _merge_guest_into(gateway: Gateway, known: str, web_id: str) -> None:
    merged = await call(gateway, LINK, {"c": known, "k": "WEB_ANONYMOUS_ID", "v": web_id})
    assert merged.data["linkIdentity"]["outcome"] == "MERGED", merged.body
    assert merged.data["linkIdentity"]["customerId"] == known


async def test_a_restricted_partner_s_retry_after_the_guest_merged_replays_its_first_answer(
    gateway: Gateway,
    secure_gateway: Gateway,
    make_partner: MakePartner,
    make_customer: MakeCustomer,
    make_guest: MakeGuest,
):
    """The guest granted partner_sharing and the customer it merged into had no decision of
    that purpose: the grant moved to them, so the partner may still see this person, and its
    retry gets the first answer (as an unrestricted caller's does), not FORBIDDEN."""
    known = await make_customer()
    guest, web_id = await make_guest(partner_sharing=True)
    _, key = await make_partner("cart:write", restriction="partner_sharing")
    idem = f"acc-{uuid.uuid4().hex}"
    first = await call(secure_gateway, ADD, {"c": guest, "k": idem}, key=key)
    assert "errors" not in first.body, first.body
    await _merge_guest_into(gateway, known, web_id)

    again = await call(secure_gateway, ADD, {"c": guest, "k": idem}, key=key)
    assert "errors" not in again.body, again.body
    assert again.data == first.data
    # A new write for the merged id is what it is for any caller: nobody has that id now.
    other = await call(secure_gateway, ADD, {"c": guest, "k": f"acc-{uuid.uuid4().hex}"}, key=key)
    assert other.codes() == {"addCartItem": "NOT_FOUND"}


async def test_a_retry_after_the_guest_merged_into_a_refusing_customer_is_forbidden(
    gateway: Gateway,
    secure_gateway: Gateway,
    make_partner: MakePartner,
    make_customer: MakeCustomer,
    make_guest: MakeGuest,
):
    """The survivor's own refusal holds over the guest's grant (the merge rules): the partner
    may no longer see this person."""
    known = await make_customer(partner_sharing=False)
    guest, web_id = await make_guest(partner_sharing=True)
    _, key = await make_partner("cart:write", restriction="partner_sharing")
    idem = f"acc-{uuid.uuid4().hex}"
    first = await call(secure_gateway, ADD, {"c": guest, "k": idem}, key=key)
    assert "errors" not in first.body, first.body
    await _merge_guest_into(gateway, known, web_id)

    again = await call(secure_gateway, ADD, {"c": guest, "k": idem}, key=key)
    assert _refusal(again, "addCartItem") == {
        "message": REFUSAL,
        "code": "FORBIDDEN",
        "purposes": ["partner_sharing"],
    }


RESUME = """
mutation($j: ID!, $k: String!) {
  resumeJourney(journeyId: $j, channel: PARTNER, idempotencyKey: $k) {
    journey { id steps { n type } } nextStep
  }
}
"""


async def test_a_restricted_partner_s_resumption_retried_after_its_journey_was_joined_away_replays(
    gateway: Gateway,
    secure_gateway: Gateway,
    *,
    graph: GraphDatabase,
    make_partner: MakePartner,
    make_customer: MakeCustomer,
    make_guest: MakeGuest,
):
    """The merge joins the guest's journey into the survivor's journey of the same intent and
    deletes it: the retry is judged by the survivor's consents (who granted), as an
    unrestricted caller's retry replays its first answer, not FORBIDDEN."""
    known = await make_customer(partner_sharing=True)
    guest, web_id = await make_guest(partner_sharing=True)
    await graph.write(
        "UNWIND [[$known, -3], [$guest, -2]] AS row "
        "MATCH (c:Customer {id: row[0]}) "
        "CREATE (c)-[:ON_JOURNEY]->(:Journey {id: 'jrn-' + row[0], intent: 'buy a sofa', "
        "  status: 'active', startedAt: datetime() + duration({hours: row[1]}), "
        "  lastChannel: 'web'})",
        {"known": known, "guest": guest},
    )
    _, key = await make_partner("journey:write", restriction="partner_sharing")
    idem = f"acc-{uuid.uuid4().hex}"
    first = await call(secure_gateway, RESUME, {"j": f"jrn-{guest}", "k": idem}, key=key)
    assert "errors" not in first.body, first.body
    await _merge_guest_into(gateway, known, web_id)
    assert not await graph.read("MATCH (j:Journey {id: $j}) RETURN j", {"j": f"jrn-{guest}"})

    again = await call(secure_gateway, RESUME, {"j": f"jrn-{guest}", "k": idem}, key=key)
    assert "errors" not in again.body, again.body
    assert again.data == first.data
