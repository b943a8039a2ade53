"""Simulators post signed events to the gateway's webhooks as they are used, never failing, and
post a delivery the gateway did not take again, as real channel systems do."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import stamina.instrumentation
from aiohttp import web
from pydantic import SecretStr

from gateway.services import free_port
from gateway.services._process import command_line
from gateway.services._simulators import Simulators, SimulatorsConfig, gateway_webhooks
from gateway.settings import Settings
from gateway.webhook_signatures import check_signature
from gateway.webhooks import parse_events
from simulators import SYSTEMS, SimulatorConfig
from simulators._webhooks import WEBHOOKS, WebhookEmitter, WebhookRetries, retry_after_s, sign
from tests.simulators import generated
from tests.simulators.harness import CONFIG, Simulator, serve
from tests.simulators.test_command_line import consecutive_free_ports


@dataclass(frozen=True)
class Delivery:
    channel: str
    signature: str
    timestamp: str
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads(self.body)
        return decoded


@dataclass
class Receiver:
    """A stand-in gateway: records what is posted to ``/webhooks/{channel}``, answers the
    statuses of ``script`` in turn (``None``: drop the connection), then ``status``."""

    url: str
    status: int = 200
    script: list[int | None] = field(default_factory=list)
    retry_after: str | None = None  # sent with every answer that is not a 2xx
    answer: dict[str, Any] = field(default_factory=lambda: {"accepted": 1, "duplicates": 0})
    deliveries: asyncio.Queue[Delivery] = field(default_factory=asyncio.Queue)

    async def next(self) -> Delivery:
        # The simulator posts in the background: generous for a loaded CI machine.
        return await asyncio.wait_for(self.deliveries.get(), timeout=30)


@contextlib.asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    port = free_port()
    received = Receiver(url=f"http://127.0.0.1:{port}/webhooks")

    async def record(request: web.Request) -> web.Response:
        signature = request.headers.get("X-Parcours-Signature", "")
        timestamp = request.headers.get("X-Parcours-Timestamp", "")
        body = await request.read()
        delivery = Delivery(request.match_info["channel"], signature, timestamp, body)
        received.deliveries.put_nowait(delivery)
        status = received.script.pop(0) if received.script else received.status
        if status is None:
            assert request.transport is not None
            request.transport.abort()  # as a gateway going down mid-request
            await asyncio.sleep(1)
        status = status or 200
        headers = {"Retry-After": received.retry_after} if received.retry_after else {}
        headers = headers if status >= 300 else {}
        return web.json_response(received.answer, status=status, headers=headers)

    app = web.Application()
    app.router.add_post("/webhooks/{channel}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        yield received
    finally:
        await runner.cleanup()


TEST_KEY = "test-key-{channel}"


def emitting(url: str, secret: str | None = TEST_KEY) -> SimulatorConfig:
    return dataclasses.replace(CONFIG, webhook_url=url, webhook_secret=secret)


def assert_signed(delivery: Delivery, secret: str) -> None:
    """The gateway's own check takes the delivery's signature (dated now, within 300 s)."""
    check_signature(
        [SecretStr(secret)], delivery.body, delivery.signature, delivery.timestamp, tolerance_s=300
    )


async def record_sale(stores: Simulator) -> dict[str, Any]:
    customer = generated.with_identity("pos_customer_number")[0]
    pos_number = customer.first("pos_customer_number")
    store_id = pos_number.split("-")[1]
    skus = ",".join(f"SKU-{n:05d}" for n in range(1, 101))
    stock = (await stores.get(f"/pos/stores/{store_id}/stock", skus=skus)).body["stock"]
    sku = next(row["sku"] for row in stock if row["onHand"] >= 1)
    sale = {"posNumber": pos_number, "storeId": store_id, "lines": [{"sku": sku, "qty": 1}]}
    reply = await stores.post("/pos/receipts", sale)
    assert reply.status == 201, reply.body
    return {"posNumber": pos_number, **reply.body}


async def test_a_till_receipt_posts_a_signed_purchase_event_to_the_store_webhook() -> None:
    async with receiver() as gateway, serve("stores", emitting(gateway.url)) as stores:
        receipt = await record_sale(stores)
        delivery = await gateway.next()
    assert delivery.channel == "store"
    assert_signed(delivery, "test-key-store")
    assert delivery.event == {
        "id": receipt["eventId"],
        "type": "purchase",
        "at": receipt["at"],
        "identifiers": [{"kind": "pos_customer_number", "value": receipt["posNumber"]}],
        "sku": receipt["lines"][0]["sku"],
        "storeId": receipt["storeId"],
    }
    assert parse_events(delivery.body).events[0].id == receipt["eventId"]  # the gateway's contract


async def test_a_new_order_posts_a_purchase_event_to_the_web_webhook_once() -> None:
    order = {
        "customerEmail": "mehdi.morel.0@example.com",
        "lines": [{"sku": "SKU-00010", "qty": 1}],
    }
    async with receiver() as gateway, serve("oms", emitting(gateway.url, None)) as oms:
        created = await oms.post("/oms/orders", order, {"Idempotency-Key": "emit-1"})
        replayed = await oms.post("/oms/orders", order, {"Idempotency-Key": "emit-1"})
        delivery = await gateway.next()
        # Every delivery emitted so far has been posted and answered: a second one, for the
        # replay, would be in the queue now (a sleep only gave it a chance to arrive).
        await emitter_of(oms).drained()
        assert gateway.deliveries.empty()  # the idempotent replay is not a new purchase
    assert (created.status, replayed.status) == (201, 200)
    assert delivery.channel == "web"
    assert_signed(delivery, "dev-webhook-secret-web")
    assert delivery.event["id"] == created.body["eventId"]
    assert delivery.event["identifiers"] == [{"kind": "email", "value": order["customerEmail"]}]
    assert parse_events(delivery.body).events[0].sku == "SKU-00010"


async def test_a_failing_or_unreachable_gateway_never_fails_the_sale() -> None:
    async with receiver() as failing:
        failing.status = 500
        async with serve("stores", emitting(failing.url)) as stores:
            await record_sale(stores)
            assert (await failing.next()).channel == "store"
    unreachable = f"http://127.0.0.1:{free_port()}/webhooks"
    async with serve("stores", emitting(unreachable)) as stores:
        await record_sale(stores)  # still a 201 (a refused connection costs no time to bound)


async def test_without_a_webhook_url_nothing_is_posted(stores: Simulator) -> None:
    await record_sale(stores)  # the shared fixture has no webhook URL: a sale, no error
    assert stores.app is not None
    assert WEBHOOKS not in stores.app  # no emitter, so nothing is or will be posted


def test_a_webhook_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="http"):
        SimulatorConfig(webhook_url="ftp://example.com/webhooks")


def test_make_up_points_the_simulators_at_the_gateway_with_the_dev_keys(tmp_path: Path) -> None:
    url, secret = gateway_webhooks(Settings(port=8181))
    assert (url, secret) == ("http://127.0.0.1:8181/webhooks", "dev-webhook-secret-{channel}")
    config = SimulatorsConfig(tmp_path, 9101, webhook_url=url, webhook_secret=secret)
    assert config.command()[-2:] == ["--webhook-url", url]
    assert config.environment() == {"PARCOURS_SIMULATORS_WEBHOOK_SECRET": secret}


async def test_make_up_keeps_the_webhook_key_off_the_simulators_command_line(
    tmp_path: Path,
) -> None:
    key = "never-in-ps-{channel}"
    async with receiver() as gateway:
        simulators = Simulators(
            SimulatorsConfig(
                home=tmp_path,
                base_port=consecutive_free_ports(len(SYSTEMS)),
                latency_ms=0,
                jitter_ms=0,
                webhook_url=gateway.url,
                webhook_secret=key,
            )
        )
        await asyncio.to_thread(simulators.start)
        try:
            pid = simulators.running_pid()
            assert pid is not None
            shown = command_line(pid)  # /proc/<pid>/cmdline, as ps shows it to everyone
            assert shown is not None
            assert "--webhook-url" in shown
            assert "never-in-ps" not in shown
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
                stores = Simulator("stores", simulators.config.url("stores"), session)
                await record_sale(stores)
            delivery = await gateway.next()
        finally:
            await asyncio.to_thread(simulators.stop)
    assert delivery.channel == "store"
    assert_signed(delivery, "never-in-ps-store")


def test_make_up_posts_nothing_when_store_and_web_keys_differ_or_are_missing() -> None:
    shared = {"store": SecretStr("k"), "web": SecretStr("k")}
    assert gateway_webhooks(Settings(env="production", webhook_secrets=shared))[1] == "k"
    different = {"store": SecretStr("k1"), "web": SecretStr("k2")}
    assert gateway_webhooks(Settings(env="production", webhook_secrets=different)) == (None, None)
    assert gateway_webhooks(Settings(env="production")) == (None, None)


async def test_a_delivery_the_gateway_did_not_take_is_posted_again_with_the_same_event() -> None:
    """A gateway restarting drops the connection, then answers 503, then 429 (still warming up):
    the stores simulator posts the same event again after each, signed, until it is taken."""
    async with receiver() as gateway, serve("stores", emitting(gateway.url)) as stores:
        gateway.script = [None, 503, 429]
        receipt = await record_sale(stores)
        deliveries = [await gateway.next() for _ in range(4)]
        await emitter_of(stores).drained()
    assert gateway.deliveries.empty()  # taken by the fourth post: no more
    assert {delivery.body for delivery in deliveries} == {deliveries[0].body}
    for delivery in deliveries:
        assert_signed(delivery, "test-key-store")
    assert deliveries[0].event["id"] == receipt["eventId"]


async def test_each_post_of_a_delivery_is_signed_at_the_time_it_is_sent() -> None:
    """A retry a minute later carries that minute's time, signed: the gateway, which refuses a
    timestamp far from its clock, takes it as a new post, not as a replay."""
    clock = itertools.count(1_765_000_000, 60)
    async with receiver() as gateway:
        gateway.script = [503, 503]
        emitter = WebhookEmitter(
            gateway.url, TEST_KEY, "store", QUICK_RETRIES, clock=lambda: float(next(clock))
        )
        await emitter.start()
        try:
            emitter.emit({"id": "evt-pos-resigned", "type": "purchase"})
            await emitter.drained()
        finally:
            await emitter.close()
        deliveries = [await gateway.next() for _ in range(3)]
    assert [d.timestamp for d in deliveries] == ["1765000000", "1765000060", "1765000120"]
    for delivery in deliveries:
        assert delivery.signature == sign("test-key-store", delivery.timestamp, delivery.body)


@pytest.mark.parametrize("status", [400, 401, 404, 413, 422])
async def test_a_delivery_the_gateway_refuses_is_not_posted_again(status: int) -> None:
    async with receiver() as gateway:
        gateway.script = [status]
        emitter = WebhookEmitter(gateway.url, TEST_KEY, "store", QUICK_RETRIES)
        await emitter.start()
        try:
            emitter.emit({"id": "evt-pos-refused", "type": "purchase"})
            await emitter.drained()
        finally:
            await emitter.close()
    assert (await gateway.next()).event["id"] == "evt-pos-refused"
    assert gateway.deliveries.empty()


async def test_an_event_the_gateway_took_but_rejected_is_logged_and_not_posted_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A batch's bad event no longer refuses the batch: the 200 lists it under ``rejected``,
    which the simulator reports (it said nothing of a 2xx before) and does not post again."""
    refused = {"index": 1, "id": "evt-pos-v2", "code": "UNKNOWN_SKU", "message": "events[1]..."}
    async with receiver() as gateway:
        gateway.answer = {"accepted": 1, "duplicates": 0, "rejected": [refused]}
        emitter = WebhookEmitter(gateway.url, TEST_KEY, "store", QUICK_RETRIES)
        await emitter.start()
        try:
            with caplog.at_level(logging.WARNING, logger="simulators.webhooks"):
                emitter.emit({"events": [{"id": "evt-pos-v1"}, {"id": "evt-pos-v2"}]})
                await emitter.drained()
        finally:
            await emitter.close()
        await gateway.next()
        assert gateway.deliveries.empty()
    logged = [r.getMessage() for r in caplog.records if "not recorded" in r.getMessage()]
    assert len(logged) == 1
    assert "evt-pos-v2 not recorded, not retried: UNKNOWN_SKU: events[1]..." in logged[0]


async def test_a_delivery_is_given_up_after_its_attempts() -> None:
    async with receiver() as gateway:
        gateway.status = 503
        emitter = WebhookEmitter(gateway.url, TEST_KEY, "store", QUICK_RETRIES)
        await emitter.start()
        try:
            emitter.emit({"id": "evt-pos-lost", "type": "purchase"})
            await emitter.drained()
        finally:
            await emitter.close()
    assert gateway.deliveries.qsize() == QUICK_RETRIES.attempts


QUICK_RETRIES = WebhookRetries(attempts=3, wait_initial_s=0.01, wait_max_s=0.02, wait_jitter_s=0.01)
# Retries that would wait an hour: whatever happens next is not a retry's doing.
HOUR_RETRIES = WebhookRetries(attempts=3, wait_initial_s=3600, wait_max_s=3600, wait_jitter_s=0)


@contextlib.contextmanager
def planned_waits() -> Iterator[list[float]]:
    """The waits stamina schedules before each retry (as decided, not as measured)."""
    waits: list[float] = []

    def record(details: stamina.instrumentation.RetryDetails) -> None:
        waits.append(details.wait_for)

    stamina.instrumentation.set_on_retry_hooks([record])
    try:
        yield waits
    finally:
        stamina.instrumentation.set_on_retry_hooks(None)


async def test_a_retry_waits_as_long_as_the_gateways_retry_after_asks() -> None:
    async with receiver() as gateway:
        gateway.script, gateway.retry_after = [503, 429], "1"
        emitter = WebhookEmitter(gateway.url, TEST_KEY, "store", QUICK_RETRIES)
        await emitter.start()
        try:
            with planned_waits() as waits:
                emitter.emit({"id": "evt-pos-later", "type": "purchase"})
                await emitter.drained()
        finally:
            await emitter.close()
    assert waits == [1.0, 1.0]
    assert [(await gateway.next()).event["id"] for _ in range(3)] == ["evt-pos-later"] * 3


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    now = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    assert retry_after_s("5") == 5.0
    assert retry_after_s("Mon, 07 Dec 2026 10:02:00 GMT", now) == 120.0
    assert retry_after_s("Mon, 07 Dec 2026 09:00:00 GMT", now) == 0.0
    assert retry_after_s("-3") is None
    assert retry_after_s("in a while") is None


async def test_a_delivery_waiting_for_a_retry_when_the_simulator_stops_is_posted_at_once() -> None:
    async with receiver() as gateway, serve("stores", emitting(gateway.url)) as stores:
        emitter = emitter_of(stores)
        emitter.retries = HOUR_RETRIES
        gateway.script = [503]
        receipt = await record_sale(stores)
        first = await gateway.next()
    # The stores simulator has stopped: its delivery was posted again instead of abandoned.
    last = await gateway.next()
    assert last.body == first.body
    assert last.event["id"] == receipt["eventId"]
    assert emitter.pending == 0


async def test_at_most_max_pending_deliveries_are_under_way_and_the_rest_are_dropped() -> None:
    async with receiver() as gateway:
        gateway.status = 503
        retries = dataclasses.replace(HOUR_RETRIES, max_pending=2)
        emitter = WebhookEmitter(gateway.url, TEST_KEY, "store", retries)
        await emitter.start()
        try:
            for n in range(4):
                emitter.emit({"id": f"evt-pos-{n}", "type": "purchase"})
            assert (emitter.pending, emitter.dropped) == (2, 2)
            posted = [(await gateway.next()).event["id"] for _ in range(2)]
        finally:
            await emitter.close()
        posted += [(await gateway.next()).event["id"] for _ in range(2)]  # posted at close
    assert sorted(posted) == ["evt-pos-0", "evt-pos-0", "evt-pos-1", "evt-pos-1"]
    assert gateway.deliveries.empty()


def emitter_of(simulator: Simulator) -> WebhookEmitter:
    assert simulator.app is not None
    return simulator.app[WEBHOOKS]
