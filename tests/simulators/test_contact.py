"""The contact-centre simulator: tickets, calls and chats by contact-centre id."""

from __future__ import annotations

from typing import Any

import pytest

from tests.simulators import generated
from tests.simulators.harness import Simulator


async def test_every_generated_contact_centre_id_has_tickets(contact: Simulator) -> None:
    for customer in generated.with_identity("contact_centre_id")[:25]:
        path = f"/cc/v2/customers/{customer.first('contact_centre_id')}/tickets"
        body = (await contact.get(path)).body
        assert body["total"] >= 1
        for ticket in body["items"]:
            assert set(ticket) == {
                "ticketId",
                "subject",
                "status",
                "openedAt",
                "updatedAt",
                "channel",
            }
            assert ticket["channel"] in {"call", "chat", "email"}
            assert ticket["updatedAt"] >= ticket["openedAt"]


async def test_the_status_filter_splits_tickets_into_open_and_closed(contact: Simulator) -> None:
    customer = generated.busiest("contact_centre_id", "call_centre", "chat")
    path = f"/cc/v2/customers/{customer.first('contact_centre_id')}/tickets"
    every = (await contact.get(path, pageSize="100")).body
    open_ = (await contact.get(path, status="open", pageSize="100")).body
    closed = (await contact.get(path, status="closed", pageSize="100")).body
    assert {t["status"] for t in open_["items"]} <= {"open"}
    assert {t["status"] for t in closed["items"]} <= {"closed"}
    assert open_["total"] + closed["total"] == every["total"]


async def test_an_unknown_status_is_a_400_in_the_contact_centres_error_shape(
    contact: Simulator,
) -> None:
    path = f"/cc/v2/customers/{generated.first_cc_id()}/tickets"
    reply = await contact.get(path, status="pending")
    assert reply.status == 400
    assert set(reply.body) == {"fault", "message"}


async def test_calls_and_chats_are_the_customers_call_centre_and_chat_interactions(
    contact: Simulator,
) -> None:
    customer = generated.busiest("contact_centre_id", "call_centre", "chat")
    base = f"/cc/v2/customers/{customer.first('contact_centre_id')}"
    calls = (await contact.get(f"{base}/calls", pageSize="100")).body["items"]
    chats = (await contact.get(f"{base}/chats", pageSize="100")).body["items"]
    assert sorted(c["eventId"] for c in calls) == sorted(
        i["id"] for i in customer.activity("call_centre")
    )
    assert sorted(c["eventId"] for c in chats) == sorted(i["id"] for i in customer.activity("chat"))
    for conversation in calls + chats:
        speakers = [line["from"] for line in conversation["transcript"]]
        assert speakers == ["agent", "customer", "agent", "customer"]
        assert conversation["transcript"][0]["at"] == conversation["at"]
    assert all(call["durationSeconds"] > 0 for call in calls)


async def test_an_unknown_contact_centre_id_is_a_404(contact: Simulator) -> None:
    for what in ("tickets", "calls", "chats"):
        reply = await contact.get(f"/cc/v2/customers/CC99999999/{what}")
        assert reply.status == 404
        assert reply.body["fault"] == "CUSTOMER_NOT_FOUND"


def _cc_ids(count: int) -> list[str]:
    return [c.first("contact_centre_id") for c in generated.with_identity("contact_centre_id")][
        :count
    ]


async def _tickets_of(contact: Simulator, cc_id: str, **params: str) -> list[dict[str, Any]]:
    path = f"/cc/v2/customers/{cc_id}/tickets"
    items: list[dict[str, Any]] = (await contact.get(path, pageSize="100", **params)).body["items"]
    return [{**ticket, "customerId": cc_id} for ticket in items]


@pytest.mark.parametrize("status", [None, "open", "closed"])
async def test_several_customers_tickets_are_one_list_newest_first_paged_over_all(
    contact: Simulator, status: str | None
) -> None:
    cc_ids = _cc_ids(4)
    filters = {"status": status} if status else {}
    one_by_one = [t for cc_id in cc_ids for t in await _tickets_of(contact, cc_id, **filters)]
    union = sorted(one_by_one, key=lambda t: (t["openedAt"], t["ticketId"]), reverse=True)
    asked = ",".join(reversed(cc_ids))

    walked: list[dict[str, Any]] = []
    for page in range(1, 30):
        body = (
            await contact.get(
                "/cc/v2/tickets", customerIds=asked, page=str(page), pageSize="3", **filters
            )
        ).body
        assert body["total"] == len(union)
        walked += body["items"]
        if not body["items"]:
            break
    assert walked == union
    assert len({t["customerId"] for t in walked}) >= 2


async def test_one_customers_tickets_read_the_same_by_either_path(contact: Simulator) -> None:
    [cc_id] = _cc_ids(1)
    listed = (await contact.get("/cc/v2/tickets", customerIds=cc_id, pageSize="100")).body
    assert listed["items"] == await _tickets_of(contact, cc_id)
    assert listed["total"] == len(listed["items"]) >= 1


async def test_unknown_ids_among_several_add_nothing_and_alone_are_a_404(
    contact: Simulator,
) -> None:
    [cc_id] = _cc_ids(1)
    mixed = await contact.get("/cc/v2/tickets", customerIds=f"CC99999999,{cc_id}", pageSize="100")
    assert mixed.body["items"] == await _tickets_of(contact, cc_id)
    unknown = await contact.get("/cc/v2/tickets", customerIds="CC99999998,CC99999999")
    assert unknown.status == 404
    assert unknown.body["fault"] == "CUSTOMER_NOT_FOUND"


async def test_more_than_twenty_customer_ids_in_one_call_is_a_400(contact: Simulator) -> None:
    twenty = _cc_ids(21)
    assert (await contact.get("/cc/v2/tickets", customerIds=",".join(twenty[:20]))).status == 200
    reply = await contact.get("/cc/v2/tickets", customerIds=",".join(twenty))
    assert reply.status == 400
    assert set(reply.body) == {"fault", "message"}
    missing = await contact.get("/cc/v2/tickets")
    assert missing.status == 400
    assert missing.body["fault"] == "MISSING_PARAMETER"
