"""A second gateway in its own OS process: cart changes made through this one reach a subscriber
connected to it, through Redis only (the two share no memory, just Neo4j and Redis)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from gateway.services import free_port
from tests.conftest import Gateway, Services
from tests.realtime.conftest import CART_CHANGED, PROTOCOL, WsClient, serving

READY_WITHIN_S = 60.0


@contextlib.contextmanager
def gateway_process(services: Services) -> Iterator[tuple[str, Callable[[], bool]]]:
    """``parcours serve`` as a child process on a free port: its base URL, and whether it runs."""
    port = free_port()
    env = {
        **os.environ,
        "PARCOURS_PORT": str(port),
        "PARCOURS_NEO4J_URI": services.neo4j.config.uri,
        "PARCOURS_NEO4J_AUTH": "false",
        "PARCOURS_REDIS_URL": services.redis.config.url,
        "PARCOURS_MIGRATE_ON_START": "false",
    }
    child = subprocess.Popen(
        [str(Path(sys.executable).parent / "parcours"), "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}", lambda: child.poll() is None
    finally:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


async def _ready(session: aiohttp.ClientSession, url: str, alive: Callable[[], bool]) -> None:
    deadline = asyncio.get_running_loop().time() + READY_WITHIN_S
    while asyncio.get_running_loop().time() < deadline:
        assert alive(), "the gateway process exited"
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(f"{url}/readyz") as answer:
                if answer.status == 200:
                    return
        await asyncio.sleep(0.2)
    raise AssertionError("the gateway process never became ready")


@pytest.fixture
async def other_process(services: Services) -> AsyncIterator[str]:
    with gateway_process(services) as (url, alive):
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            await _ready(session, url, alive)
        yield url


async def test_a_subscriber_on_another_process_sees_every_change_in_order(
    services: Services, other_process: str, new_customer
):
    customer = await new_customer()
    async with serving(services.settings(migrate_on_start=False)) as here:
        session = here.gateway.session
        async with session.ws_connect(f"{other_process}/graphql", protocols=(PROTOCOL,)) as ws:
            client = WsClient(ws)
            await client.init()
            written = [await here.add_item(customer)]
            await client.subscribe("cart", CART_CHANGED, {"c": customer})
            seen = [(await client.next("cart"))["cartChanged"]["version"]]
            for _ in range(3):
                written.append(await here.add_item(customer, channel="STORE"))
                seen.append((await client.next("cart"))["cartChanged"]["version"])
        there = Gateway(url=other_process, session=session)
        read = await there.query(
            "query($c: ID!) { customer(id: $c) { cart { version } } }", {"c": customer}
        )
    assert written == [1, 2, 3, 4]
    assert seen == written
    assert read["data"]["customer"]["cart"]["version"] == 4
