"""Stale fallback: a failed read answers the last good answer, marked stale, when there is one."""

import asyncio
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import channels._client as client_module
from channels import (
    ChannelCircuitOpen,
    ChannelNotFound,
    ChannelTimeout,
    ChannelUnavailable,
    Deadline,
    StaleEntry,
)
from channels.mobile import MobileClient
from channels.oms import OmsClient
from channels.stores import StoresClient
from channels.webshop import WebshopClient
from tests.channels.conftest import HELD, UNAVAILABLE, MemoryStaleStore, Reply, wait_until


async def test_a_successful_read_with_a_stale_key_is_kept_as_the_last_good_answer(
    system, open_client
) -> None:
    store = MemoryStaleStore()
    system.will("/loyalty/k-1", Reply(body={"points": 120}))
    client = await open_client(stale_store=store)

    answer = await client.get_json("/loyalty/k-1", deadline=Deadline.after(30), stale_key="k-1")

    await wait_until(lambda: ("webshop", "k-1") in store.entries)  # written in the background
    assert store.entries[("webshop", "k-1")] == StaleEntry({"points": 120}, answer.as_of)


async def test_a_failed_read_answers_the_last_good_answer_marked_stale_with_its_as_of(
    system, open_client
) -> None:
    store = MemoryStaleStore()
    system.will("/loyalty/k-1", Reply(body={"points": 120}))
    system.always("/loyalty/k-1", UNAVAILABLE)
    client = await open_client(stale_store=store, retries=0)
    fresh = await client.get_json("/loyalty/k-1", deadline=Deadline.after(30), stale_key="k-1")

    stale = await client.get_json("/loyalty/k-1", deadline=Deadline.after(30), stale_key="k-1")

    assert (stale.data, stale.stale, stale.as_of) == ({"points": 120}, True, fresh.as_of)
    assert stale.channel == "webshop"
    assert system.hits_on("/loyalty/k-1") == 2


async def test_a_failed_read_without_a_last_good_answer_raises_channel_unavailable(
    system, open_client
) -> None:
    system.always("/loyalty/k-1", UNAVAILABLE)
    client = await open_client(stale_store=MemoryStaleStore(), retries=0)

    with pytest.raises(ChannelUnavailable) as caught:
        await client.get_json("/loyalty/k-1", deadline=Deadline.after(30), stale_key="k-1")

    assert caught.value.code == "CHANNEL_UNAVAILABLE"


async def test_a_timed_out_read_without_a_last_good_answer_raises_channel_timeout(
    system, open_client
) -> None:
    system.always("/loyalty/k-1", HELD)
    client = await open_client(stale_store=MemoryStaleStore(), call_timeout_s=0.2, retries=0)

    with pytest.raises(ChannelTimeout) as caught:
        await client.get_json("/loyalty/k-1", deadline=Deadline.after(30), stale_key="k-1")

    assert caught.value.code == "CHANNEL_TIMEOUT"


async def test_a_stale_answer_still_arrives_within_a_deadline_the_system_ran_out(
    system, open_client
) -> None:
    store = MemoryStaleStore()
    await store.save(
        "webshop", "k-1", StaleEntry({"points": 80}, datetime.now(UTC) - timedelta(hours=1))
    )
    system.always("/loyalty/k-1", HELD)  # never answers: the stale answer is all there is
    # The system gets 0.3 s of the deadline; the look-up of the stale answer the 10 s kept back
    # (not the default 50 ms, which a loaded host can overrun before the look-up starts).
    client = await open_client(stale_store=store, call_timeout_s=30, stale_reserve_s=10)
    deadline = Deadline.after(10.3)

    started = time.perf_counter()
    answer = await client.get_json("/loyalty/k-1", deadline=deadline, stale_key="k-1")

    assert answer.stale
    assert answer.data == {"points": 80}
    assert time.perf_counter() - started >= 0.2, "it gave the system its whole deadline"
    assert answer.latency_ms >= 200
    assert (answer.failure_code, answer.circuit_open) == ("CHANNEL_TIMEOUT", False)


async def test_an_open_breaker_answers_the_last_good_answer_without_calling(
    system, open_client
) -> None:
    store = MemoryStaleStore()
    system.will("/loyalty/k-1", Reply(body={"points": 120}))
    system.always("/loyalty/k-1", UNAVAILABLE)
    client = await open_client(stale_store=store, breaker_threshold=1, retries=0)
    await client.get_json("/loyalty/k-1", deadline=Deadline.after(30), stale_key="k-1")
    await client.get_json("/loyalty/k-1", deadline=Deadline.after(30), stale_key="k-1")

    answer = await client.get_json("/loyalty/k-1", deadline=Deadline.after(30), stale_key="k-1")

    assert answer.stale
    assert (answer.failure_code, answer.circuit_open) == ("CHANNEL_UNAVAILABLE", True)
    assert system.hits_on("/loyalty/k-1") == 2
    with pytest.raises(ChannelCircuitOpen):
        await client.get_json("/loyalty/k-1", deadline=Deadline.after(30))


async def test_a_404_is_an_answer_and_never_falls_back_to_stale_data(system, open_client) -> None:
    store = MemoryStaleStore()
    system.will("/loyalty/k-1", Reply(body={"points": 120}), Reply(status=404, body={}))
    client = await open_client(stale_store=store)
    await client.get_json("/loyalty/k-1", deadline=Deadline.after(30), stale_key="k-1")

    with pytest.raises(ChannelNotFound):
        await client.get_json("/loyalty/k-1", deadline=Deadline.after(30), stale_key="k-1")


class BrokenStaleStore:
    async def load(self, channel: str, key: str) -> StaleEntry | None:
        raise OSError("disk on fire")

    async def save(self, channel: str, key: str, entry: StaleEntry) -> None:
        raise OSError("disk on fire")

    async def save_many(self, channel: str, entries: Mapping[str, StaleEntry]) -> None:
        raise OSError("disk on fire")


async def test_a_broken_stale_store_never_breaks_a_call(system, open_client) -> None:
    system.will("/loyalty/k-1", Reply(body={"points": 120}), UNAVAILABLE)
    # Budgets far above the answers' milliseconds: with the default 0.8 s per call, a machine
    # stalled for seconds once timed the healthy call out and failed the test.
    client = await open_client(stale_store=BrokenStaleStore(), retries=0, call_timeout_s=30)

    answer = await client.get_json("/loyalty/k-1", deadline=Deadline.after(30), stale_key="k-1")
    assert answer.data == {"points": 120}
    with pytest.raises(ChannelUnavailable) as caught:
        await client.get_json("/loyalty/k-1", deadline=Deadline.after(30), stale_key="k-1")
    assert caught.value.status == 503  # the system's own failure, not the store's


class GatedStaleStore(MemoryStaleStore):
    """Holds every save until ``release`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()

    async def save(self, channel: str, key: str, entry: StaleEntry) -> None:
        await self.release.wait()
        await super().save(channel, key, entry)


class CountingGatedStaleStore(GatedStaleStore):
    """A gated store that also records every copy it was asked to write, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.saved: list[object] = []

    async def save(self, channel: str, key: str, entry: StaleEntry) -> None:
        self.saved.append(entry.data)
        await super().save(channel, key, entry)


async def test_a_key_answered_faster_than_its_copies_land_keeps_only_the_newest_waiting(
    system, open_client
) -> None:
    # Before: every answer chained its own copy behind the previous one, so a hot key queued
    # copies without bound (each waiting for a write) until their deadlines failed them.
    store = CountingGatedStaleStore()
    system.will("/loyalty/k-1", *(Reply(body={"points": n}) for n in range(30)))
    client = await open_client(stale_store=store)

    for _ in range(30):  # the first copy's deadline must outlast all 30 calls, however slow
        await client.get_json("/loyalty/k-1", deadline=Deadline.after(300), stale_key="k-1")
    assert store.saved == [{"points": 0}]  # the first copy is in flight, held by the gate
    store.release.set()
    await client.stale_copies_written()

    assert store.saved == [{"points": 0}, {"points": 29}]  # in order, the newest last
    assert store.entries[("webshop", "k-1")].data == {"points": 29}


async def test_a_fallback_behind_a_copy_in_flight_waits_for_the_newest_answer(
    system, open_client
) -> None:
    store = GatedStaleStore()
    system.will("/loyalty/k-1", *(Reply(body={"points": n}) for n in range(3)))
    system.always("/loyalty/k-1", UNAVAILABLE)
    client = await open_client(stale_store=store, retries=0)
    for _ in range(3):
        await client.get_json("/loyalty/k-1", deadline=Deadline.after(30), stale_key="k-1")

    fallback = asyncio.ensure_future(
        client.get_json("/loyalty/k-1", deadline=Deadline.after(30), stale_key="k-1")
    )
    await wait_until(lambda: system.hits_on("/loyalty/k-1") == 4)
    store.release.set()
    stale = await fallback

    assert (stale.data, stale.stale) == ({"points": 2}, True)


class RecordingLog:
    """Stands in for the client module's logger: what it was asked to log, by level."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def __getattr__(self, level: str) -> Callable[..., None]:
        return lambda event, *args, **kwargs: self.events.append((level, event))


async def test_a_copy_still_waiting_for_its_write_at_the_deadline_is_no_error(
    system, open_client, monkeypatch: pytest.MonkeyPatch
) -> None:
    logged = RecordingLog()
    monkeypatch.setattr(client_module, "log", logged)
    store = GatedStaleStore()  # a store too busy to take the copy before the deadline
    system.will("/loyalty/k-1", Reply(body={"points": 120}))
    client = await open_client(stale_store=store)

    # 2 s for an answer of milliseconds (a loaded host can stall it past 0.2 s); the gated copy
    # then waits out the rest of the deadline.
    await client.get_json("/loyalty/k-1", deadline=Deadline.after(2), stale_key="k-1")
    await asyncio.wait_for(client.stale_copies_written(), 30)  # ends with the deadline

    assert ("debug", "stale_save_cut_by_deadline") in logged.events
    assert not [event for level, event in logged.events if level in {"exception", "error"}]


async def test_the_answer_does_not_wait_for_its_stale_copy_and_a_fallback_waits_for_it(
    system, open_client
) -> None:
    store = GatedStaleStore()
    system.will("/loyalty/k-1", Reply(body={"points": 120}))
    system.always("/loyalty/k-1", UNAVAILABLE)
    client = await open_client(stale_store=store, retries=0)

    # Were the copy awaited, this would wait for `release` until the deadline.
    fresh = await asyncio.wait_for(
        client.get_json("/loyalty/k-1", deadline=Deadline.after(30), stale_key="k-1"), 10
    )
    assert fresh.data == {"points": 120}
    assert store.entries == {}  # still being written

    fallback = asyncio.ensure_future(
        client.get_json("/loyalty/k-1", deadline=Deadline.after(30), stale_key="k-1")
    )
    await wait_until(lambda: system.hits_on("/loyalty/k-1") == 2)
    store.release.set()
    stale = await fallback

    assert (stale.data, stale.stale, stale.as_of) == ({"points": 120}, True, fresh.as_of)


async def test_closing_the_client_keeps_the_stale_copies_being_written(system, open_client) -> None:
    store = GatedStaleStore()
    system.will("/loyalty/k-1", Reply(body={"points": 120}))
    client = await open_client(stale_store=store)
    await client.get_json("/loyalty/k-1", deadline=Deadline.after(30), stale_key="k-1")

    closing = asyncio.ensure_future(client.close())
    await asyncio.sleep(0.05)
    assert not closing.done()
    store.release.set()
    await closing

    assert store.entries[("webshop", "k-1")].data == {"points": 120}


async def test_prices_are_kept_per_sku_so_another_set_of_those_skus_is_served_stale(
    system, open_client
) -> None:
    """A cart that lost a line (or asks with a SKU the shop does not know) still gets its prices
    when the shop fails; a SKU never priced makes the call fail rather than answer in part."""
    store = MemoryStaleStore()
    prices = [{"sku": "A", "amount": 10.0, "currency": "EUR"}, {"sku": "B", "amount": 20.0}]
    system.will("/api/v1/prices", Reply(body={"prices": prices}))
    system.always("/api/v1/prices", UNAVAILABLE)
    shop = WebshopClient(await open_client(stale_store=store, retries=0))
    fresh = await shop.prices(["A", "B", "UNKNOWN"], deadline=Deadline.after(30))
    keys = {("webshop", f"price:{sku}") for sku in ("A", "B", "UNKNOWN")}
    await wait_until(lambda: keys <= set(store.entries))

    stale = await shop.prices(["UNKNOWN", "A"], deadline=Deadline.after(30))

    assert stale.stale is True
    assert stale.as_of == fresh.as_of
    assert {sku: price.amount for sku, price in stale.data.items()} == {"A": 10.0}
    with pytest.raises(ChannelUnavailable):
        await shop.prices(["A", "NEVER_PRICED"], deadline=Deadline.after(30))


async def test_an_unreadable_answer_is_not_kept_as_a_stale_copy(system, open_client) -> None:
    store = MemoryStaleStore()
    system.will("/api/v1/prices", Reply(body={"prices": "not a list"}))
    client = await open_client(stale_store=store, retries=0)

    with pytest.raises(ChannelUnavailable):
        await WebshopClient(client).prices(["A"], deadline=Deadline.after(30))

    await client.stale_copies_written()
    assert store.entries == {}


async def test_a_fallback_waits_for_the_per_sku_copies_still_being_written(
    system, open_client
) -> None:
    store = GatedStaleStore()
    system.will("/api/v1/prices", Reply(body={"prices": [{"sku": "A", "amount": 10.0}]}))
    system.always("/api/v1/prices", UNAVAILABLE)
    shop = WebshopClient(await open_client(stale_store=store, retries=0))
    await shop.prices(["A"], deadline=Deadline.after(30))

    fallback = asyncio.ensure_future(shop.prices(["A"], deadline=Deadline.after(30)))
    await wait_until(lambda: system.hits_on("/api/v1/prices") == 2)
    assert not fallback.done()  # the copy is held by the gate, and the fallback waits for it
    store.release.set()
    stale = await fallback

    assert (stale.stale, stale.data["A"].amount) == (True, 10.0)


async def test_a_sku_whose_copy_is_being_written_is_left_to_that_copy(system, open_client) -> None:
    store = GatedStaleStore()
    calls: list[list[str]] = []
    save_many = store.save_many

    async def counted(channel: str, entries: Mapping[str, StaleEntry]) -> None:
        calls.append(sorted(entries))
        await save_many(channel, entries)

    store.save_many = counted
    rows = [{"sku": "A", "amount": 10.0}, {"sku": "B", "amount": 20.0}]
    system.will("/api/v1/prices", *(Reply(body={"prices": rows}) for _ in range(3)))
    client = await open_client(stale_store=store)
    shop = WebshopClient(client)

    await shop.prices(["A"], deadline=Deadline.after(30))
    await shop.prices(["A"], deadline=Deadline.after(30))  # A's copy is held by the gate
    await shop.prices(["A", "B"], deadline=Deadline.after(30))  # only B is new
    store.release.set()
    await client.stale_copies_written()

    assert calls == [["price:A"], ["price:B"]]


async def test_a_whole_answer_kept_before_per_sku_copies_is_never_read_as_one(
    system, open_client
) -> None:
    """Before per-SKU copies, one SKU's stock at a store was kept whole under
    ``stock:<store>:<sku>``; the per-SKU copies have keys of their own, so that old answer is not
    taken for a SKU's row (it would not parse) once the store system fails."""
    store = MemoryStaleStore()
    old = StaleEntry({"stock": [{"sku": "A", "onHand": 3}]}, datetime.now(UTC))
    await store.save("stores", "stock:ST001:A", old)
    system.always("/pos/stores/ST001/stock", UNAVAILABLE)
    stores = StoresClient(await open_client(name="stores", stale_store=store, retries=0))

    with pytest.raises(ChannelUnavailable):
        await stores.stock("ST001", ["A"], deadline=Deadline.after(30))


ORDER = {
    "orderId": "ORD-1",
    "createdAt": "2026-10-01T10:00:00Z",
    "status": "CREATED",
    "fulfilment": {"type": "DELIVERY"},
    "total": 10.0,
    "timeline": [{"status": "CREATED", "at": "2026-10-01T10:00:00Z"}],
}


async def test_an_unreadable_whole_answer_leaves_the_last_good_copy_to_fall_back_on(
    system, open_client
) -> None:
    """A page of orders the OMS once answered in a shape we cannot read (a deploy breaking its
    contract for a moment) is the OMS failing: the last readable copy is served, marked stale,
    and is not replaced, so it is still there when the OMS then fails outright."""
    store = MemoryStaleStore()
    system.will(
        "/oms/orders",
        Reply(body={"items": [ORDER], "total": 1}),
        Reply(body={"items": "not a list", "total": 1}),
    )
    system.always("/oms/orders", UNAVAILABLE)
    client = await open_client(name="oms", stale_store=store, retries=0)
    oms = OmsClient(client)
    fresh = await oms.orders("a@example.com", 1, 10, deadline=Deadline.after(30))
    await client.stale_copies_written()
    garbled = await oms.orders("a@example.com", 1, 10, deadline=Deadline.after(30))
    await client.stale_copies_written()

    stale = await oms.orders("a@example.com", 1, 10, deadline=Deadline.after(30))

    assert (garbled.stale, garbled.failure_code) == (True, "CHANNEL_UNAVAILABLE")
    assert (garbled.as_of, garbled.data) == (fresh.as_of, fresh.data)
    assert (stale.stale, stale.as_of, stale.data) == (True, fresh.as_of, fresh.data)


async def test_a_kept_copy_that_cannot_be_read_is_no_fallback(system, open_client) -> None:
    """A copy kept in an older shape (or damaged) fails the call as the system failed it
    (CHANNEL_UNAVAILABLE), rather than as an error of ours."""
    store = MemoryStaleStore()
    await store.save(
        "oms", "orders:a@example.com:1:10", StaleEntry({"rows": []}, datetime.now(UTC))
    )
    system.always("/oms/orders", UNAVAILABLE)
    oms = OmsClient(await open_client(name="oms", stale_store=store, retries=0))

    with pytest.raises(ChannelUnavailable):
        await oms.orders("a@example.com", 1, 10, deadline=Deadline.after(30))


async def test_a_system_that_throttles_a_read_is_failing_so_its_last_good_answer_is_served(
    system, open_client
) -> None:
    """A 429 (too many requests) is the system not serving us right now, not a refusal of what
    we asked: the last good answer is served, marked stale, and nothing is retried at once."""
    store = MemoryStaleStore()
    system.will("/loyalty/k-1", Reply(body={"points": 120}))
    system.always("/loyalty/k-1", Reply(status=429, body={"error": "slow down"}))
    client = await open_client(stale_store=store, retries=2)
    fresh = await client.get_json("/loyalty/k-1", deadline=Deadline.after(30), stale_key="k-1")

    stale = await client.get_json("/loyalty/k-1", deadline=Deadline.after(30), stale_key="k-1")

    assert (stale.data, stale.stale, stale.as_of) == ({"points": 120}, True, fresh.as_of)
    assert stale.failure_code == "CHANNEL_UNAVAILABLE"
    assert system.hits_on("/loyalty/k-1") == 2


async def test_a_throttled_write_is_the_system_unavailable_not_a_refusal_of_its_input(
    system, open_client
) -> None:
    """A checkout the OMS throttles is to be tried again later (CHANNEL_UNAVAILABLE), never
    reported as bad input: the checkout maps a refusal (ChannelRejected) to BAD_USER_INPUT."""
    system.always("/oms/orders", Reply(status=429, body={"errors": [{"code": "RATE_LIMITED"}]}))
    client = await open_client(name="oms", retries=2)

    with pytest.raises(ChannelUnavailable) as caught:
        await client.post_json("/oms/orders", {}, deadline=Deadline.after(30), idempotency_key="k")

    assert (caught.value.code, caught.value.status) == ("CHANNEL_UNAVAILABLE", 429)
    assert system.hits_on("/oms/orders") == 1


def _device(install: str, n: int) -> dict[str, Any]:
    return {
        "deviceId": f"dev-{install}-{n}",
        "installId": install,
        "platform": "ios",
        "pushToken": "t",
        "registeredAt": "2026-10-01T10:00:00Z",
    }


async def test_registrations_are_kept_per_install_so_another_set_of_installs_is_served_stale(
    system, open_client
) -> None:
    """A request's installs are asked in one call, whichever customers they belong to: the
    registrations are kept per install, so a later request about some of them (one customer of
    the two) still gets them when the mobile backend fails; an install never asked fails it."""
    store = MemoryStaleStore()
    devices = [_device("A", 1), _device("A", 2), _device("B", 1)]
    system.will("/mobile/devices", Reply(body={"devices": devices}))
    system.always("/mobile/devices", UNAVAILABLE)
    client = await open_client(name="mobile", stale_store=store, retries=0)
    mobile = MobileClient(client)
    fresh = await mobile.devices_of(["A", "B", "UNKNOWN"], deadline=Deadline.after(30))
    await client.stale_copies_written()

    stale = await mobile.devices_of(["A", "UNKNOWN"], deadline=Deadline.after(30))

    assert (stale.stale, stale.as_of) == (True, fresh.as_of)
    assert stale.data == {"A": fresh.data["A"], "UNKNOWN": ()}
    assert [d.device_id for d in stale.data["A"]] == ["dev-A-1", "dev-A-2"]
    with pytest.raises(ChannelUnavailable):
        await mobile.devices_of(["A", "NEVER_ASKED"], deadline=Deadline.after(30))
