"""A Neo4j failure that may pass (a leader switch, a restart, a busy server) does not end a
subscription with INTERNAL: its read is tried again, and only when the failure lasts does the
subscription end, with SERVICE_UNAVAILABLE."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import neo4j.exceptions
import pytest

from gateway.state import BUS
from graph import cart_state
from resolvers.realtime import erasure_watch
from resolvers.realtime.events import CartChanged
from tests.realtime.conftest import CART_CHANGED, Instance, eventually, ws_client


@dataclass
class FlakyGraph:
    """A graph read (``latest_cart``...) failing its next ``failures`` calls (forever with
    ``None``)."""

    read: Callable[..., Awaitable[Any]]
    failures: int | None = 0
    calls: int = 0

    async def __call__(self, *args: Any) -> Any:
        self.calls += 1
        if self.failures is None or self.failures > 0:
            if self.failures is not None:
                self.failures -= 1
            raise (
                neo4j.exceptions.ServiceUnavailable("leader switch")
                if self.calls % 2
                else neo4j.exceptions.TransientError("busy")
            )
        return await self.read(*args)


@pytest.fixture
def flaky(monkeypatch: pytest.MonkeyPatch) -> FlakyGraph:
    fake = FlakyGraph(cart_state.latest_cart)
    monkeypatch.setattr(cart_state, "latest_cart", fake)
    return fake


async def test_a_read_that_fails_for_a_moment_is_tried_again_and_the_subscription_goes_on(
    pair: tuple[Instance, Instance], new_customer: Any, flaky: FlakyGraph
) -> None:
    a, _ = pair
    customer = await new_customer()
    assert await a.add_item(customer) == 1
    flaky.failures = 2
    async with ws_client(a) as client:
        await client.subscribe("cart", CART_CHANGED, {"c": customer})
        assert (await client.next("cart"))["cartChanged"]["version"] == 1
        assert flaky.calls == 3
        flaky.failures = 3
        await a.app[BUS].publish([CartChanged(customer)])  # a re-read, failing three times
        await eventually(lambda: flaky.calls == 7)
        assert await a.add_item(customer) == 2
        assert (await client.next("cart"))["cartChanged"]["version"] == 2


async def test_a_read_that_keeps_failing_ends_the_subscription_with_service_unavailable(
    pair: tuple[Instance, Instance], new_customer: Any, flaky: FlakyGraph
) -> None:
    a, _ = pair
    customer = await new_customer()
    assert await a.add_item(customer) == 1
    flaky.failures = None
    async with ws_client(a) as client:
        await client.subscribe("cart", CART_CHANGED, {"c": customer})
        message = await client.receive()
        assert (message["id"], message["type"]) == ("cart", "next"), message
        [error] = message["payload"]["errors"]
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert (await client.receive())["type"] == "complete"
    assert flaky.calls == 4  # a bounded number of attempts


async def test_the_check_for_an_erasure_is_tried_again_past_a_passing_failure(
    pair: tuple[Instance, Instance], new_customer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _ = pair
    customer = await new_customer()
    assert await a.add_item(customer) == 1
    flaky = FlakyGraph(erasure_watch.latest_erasure_id, failures=2)
    monkeypatch.setattr(erasure_watch, "latest_erasure_id", flaky)
    async with ws_client(a) as client:
        await client.subscribe("cart", CART_CHANGED, {"c": customer})
        # The watch's first read fails twice, then the cart is shown as ever.
        assert (await client.next("cart"))["cartChanged"]["version"] == 1
        flaky.failures = 3  # the check before the next result fails three times
        assert await a.add_item(customer) == 2
        assert (await client.next("cart"))["cartChanged"]["version"] == 2
    assert flaky.calls == 3 + 1 + 3 + 1
