"""The contact-centre simulator: tickets, calls and chats by contact-centre id."""

from __future__ import annotations

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
