"""One call to one system: answers, timeouts, dropped connections and the system's refusals."""

import time
from datetime import UTC, datetime

import pytest

from channels import (
    ChannelClient,
    ChannelConfig,
    ChannelNotFound,
    ChannelRejected,
    ChannelTimeout,
    ChannelUnavailable,
    Deadline,
)
from channels.oms import OmsClient
from channels.stores import StoresClient
from channels.webshop import WebshopClient
from gateway.services import free_port
from tests.channels.conftest import HELD, UNAVAILABLE, Reply


async def test_a_get_returns_the_decoded_json_with_channel_freshness_and_latency(
    system, open_client
) -> None:
    system.will("/carts/c-1", Reply(body={"lines": [{"sku": "A1", "qty": 2}]}))
    client = await open_client()

    before = datetime.now(UTC)
    answer = await client.get_json("/carts/c-1", {"currency": "EUR"}, deadline=Deadline.after(30))
    after = datetime.now(UTC)

    assert answer.data == {"lines": [{"sku": "A1", "qty": 2}]}
    assert (answer.channel, answer.stale) == ("webshop", False)
    assert before <= answer.as_of <= after  # fetched now, an aware UTC instant
    assert 0 < answer.latency_ms <= (after - before).total_seconds() * 1000
    assert system.hits[0].method == "GET"


async def test_a_post_sends_its_body_as_json(system, open_client) -> None:
    system.will("/carts", Reply(status=201, body={"id": "c-9"}))
    client = await open_client()

    answer = await client.post_json("/carts", {"customer": "k-1"}, deadline=Deadline.after(30))

    assert answer.data == {"id": "c-9"}
    assert system.hits[0].body == b'{"customer":"k-1"}'
    assert system.hits[0].headers["Content-Type"] == "application/json"


async def test_a_cookie_a_system_sets_is_never_sent_back(system, open_client) -> None:
    # One client serves every customer: a session cookie set by an answer about one customer
    # must not travel with the calls about the next ones. (By a host name: aiohttp's cookie jar
    # ignores cookies of IP addresses, and real systems have names.)
    session = Reply(body={"ok": True}, headers={"Set-Cookie": "session=alice; Path=/"})
    system.will("/carts/c-1", session)
    client = await open_client(base_url=system.url.replace("127.0.0.1", "localhost"))

    await client.get_json("/carts/c-1", deadline=Deadline.after(30))
    await client.get_json("/carts/c-2", deadline=Deadline.after(30))
    await client.post_json("/carts", {"customer": "k-2"}, deadline=Deadline.after(30))

    assert [hit.path for hit in system.hits] == ["/carts/c-1", "/carts/c-2", "/carts"]
    assert all("Cookie" not in hit.headers for hit in system.hits)


async def test_a_slow_system_is_cut_at_the_per_call_timeout(system, open_client) -> None:
    system.will("/slow", HELD)  # never answers: only the per-call timeout can end the call
    client = await open_client(call_timeout_s=0.3, retries=0)

    started = time.perf_counter()
    with pytest.raises(ChannelTimeout) as caught:
        await client.get_json("/slow", deadline=Deadline.after(30))

    assert time.perf_counter() - started >= 0.29, "it waited the per-call timeout"
    assert caught.value.code == "CHANNEL_TIMEOUT"
    assert caught.value.channel == "webshop"
    assert not caught.value.cut_by_deadline


async def test_a_slow_system_is_cut_at_the_request_deadline_when_that_comes_first(
    system, open_client
) -> None:
    system.will("/slow", HELD)  # never answers: only the deadline can end the call
    client = await open_client(call_timeout_s=30)

    started = time.perf_counter()
    with pytest.raises(ChannelTimeout) as caught:
        await client.get_json("/slow", deadline=Deadline.after(0.3))

    assert time.perf_counter() - started >= 0.29, "it used the whole deadline"
    assert caught.value.cut_by_deadline
    assert system.hits_on("/slow") == 1, "no time was left for a retry"


async def test_a_call_with_its_deadline_already_passed_never_reaches_the_system(
    system, open_client
) -> None:
    client = await open_client()

    with pytest.raises(ChannelTimeout):
        await client.get_json("/carts/c-1", deadline=Deadline.after(0))

    assert system.hits == []


async def test_a_5xx_raises_channel_unavailable_with_its_status(system, open_client) -> None:
    system.always("/carts/c-1", UNAVAILABLE)
    client = await open_client(retries=0)

    with pytest.raises(ChannelUnavailable) as caught:
        await client.get_json("/carts/c-1", deadline=Deadline.after(30))

    assert (caught.value.code, caught.value.status) == ("CHANNEL_UNAVAILABLE", 503)


async def test_a_dropped_connection_raises_channel_unavailable(system, open_client) -> None:
    system.always("/carts/c-1", Reply(drop=True))
    client = await open_client(retries=0)

    with pytest.raises(ChannelUnavailable) as caught:
        await client.get_json("/carts/c-1", deadline=Deadline.after(30))

    assert caught.value.status is None
    # aiohttp itself resends an idempotent request once on a dropped connection (RFC 9112 §9.3.1).
    assert system.hits_on("/carts/c-1") <= 2


async def test_a_dropped_connection_is_not_resent_for_a_post(system, open_client) -> None:
    system.always("/carts", Reply(drop=True))
    client = await open_client()

    with pytest.raises(ChannelUnavailable):
        await client.post_json("/carts", {}, deadline=Deadline.after(30))

    assert system.hits_on("/carts") == 1


async def test_a_refused_connection_raises_channel_unavailable() -> None:
    config = ChannelConfig(name="stores", base_url=f"http://127.0.0.1:{free_port()}", retries=0)
    async with ChannelClient(config) as client:
        with pytest.raises(ChannelUnavailable) as caught:
            await client.get_json("/stores", deadline=Deadline.after(30))

    assert caught.value.channel == "stores"


async def test_a_body_that_is_not_json_raises_channel_unavailable_and_is_not_retried(
    system, open_client
) -> None:
    system.always("/carts/c-1", Reply(text="<html>gateway error page</html>"))
    client = await open_client(retries=2)

    with pytest.raises(ChannelUnavailable, match="not JSON"):
        await client.get_json("/carts/c-1", deadline=Deadline.after(30))

    assert system.hits_on("/carts/c-1") == 1


async def test_a_404_raises_channel_not_found_and_is_not_retried(system, open_client) -> None:
    system.always("/orders/o-9", Reply(status=404, body={"error": "no such order"}))
    client = await open_client(retries=2)

    with pytest.raises(ChannelNotFound) as caught:
        await client.get_json("/orders/o-9", deadline=Deadline.after(30))

    assert caught.value.code == "NOT_FOUND"
    assert caught.value.body == {"error": "no such order"}
    assert system.hits_on("/orders/o-9") == 1


async def test_another_4xx_raises_channel_rejected_with_status_and_body_and_is_not_retried(
    system, open_client
) -> None:
    system.always("/carts", Reply(status=409, body={"error": "version conflict"}))
    client = await open_client(retries=2)

    with pytest.raises(ChannelRejected) as caught:
        await client.post_json("/carts", {}, deadline=Deadline.after(30), idempotency_key="k-1")

    assert (caught.value.status, caught.value.body) == (409, {"error": "version conflict"})
    assert caught.value.code == "VERSION_CONFLICT"
    assert system.hits_on("/carts") == 1


async def test_a_client_used_before_start_says_so(system) -> None:
    client = ChannelClient(ChannelConfig(name="oms", base_url=system.url))

    with pytest.raises(RuntimeError, match="before start"):
        await client.get_json("/orders", deadline=Deadline.after(1))


async def test_a_2xx_body_in_a_shape_we_cannot_read_is_the_system_failing_not_retried(
    system, open_client
) -> None:
    """Valid JSON the client cannot read (a contract break) fails the call as a body that is not
    JSON does: CHANNEL_UNAVAILABLE, not retried, a failure of the system in its health."""
    system.always("/oms/orders", Reply(body={"items": "not a list", "total": 1}))
    client = await open_client(name="oms", retries=2)

    with pytest.raises(ChannelUnavailable, match="cannot read") as caught:
        await OmsClient(client).orders("a@example.com", 1, 10, deadline=Deadline.after(30))

    assert (caught.value.code, caught.value.status) == ("CHANNEL_UNAVAILABLE", 200)
    assert system.hits_on("/oms/orders") == 1
    assert client.health().recent_failures == 1


async def test_every_system_client_reads_a_2xx_body_it_cannot_read_as_unavailable(
    system, open_client
) -> None:
    """Bodies read by the per-system clients after the call (prices, stock, availability, a shop
    account, a placed order) fail the same way, never as an error of ours."""
    for path in ("/api/v1/prices", "/pos/stores/ST1/stock", "/oms/availability", "/oms/orders"):
        system.always(path, Reply(body={"prices": "x", "stock": "x", "availability": "x"}))
    system.always("/api/v1/customers/a@example.com", Reply(body=["not", "an", "object"]))
    webshop = WebshopClient(await open_client(name="webshop", retries=0))
    stores = StoresClient(await open_client(name="stores", retries=0))
    oms = OmsClient(await open_client(name="oms", retries=0))
    system.will(
        "/oms/orders",
        Reply(status=201, body=["not an order"]),
        Reply(status=201, body={"orderId": "ORD-1"}),  # no createdAt, no status
    )

    calls = [
        webshop.prices(["A"], deadline=Deadline.after(30)),
        webshop.account("a@example.com", deadline=Deadline.after(30)),
        stores.stock("ST1", ["A"], deadline=Deadline.after(30)),
        oms.availability(["A"], deadline=Deadline.after(30)),
        oms.create_order(
            "a@example.com",
            [("A", 1)],
            {"type": "DELIVERY"},
            idempotency_key="k-1",
            deadline=Deadline.after(30),
        ),
        oms.create_order(
            "a@example.com",
            [("A", 1)],
            {"type": "DELIVERY"},
            idempotency_key="k-2",
            deadline=Deadline.after(30),
        ),
    ]
    for call in calls:
        with pytest.raises(ChannelUnavailable):
            await call
