"""Real-time fixtures: gateway instances we can reach into (their bus), a graphql-transport-ws
client over aiohttp, and fresh customers to change."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from gateway.app import create_app
from gateway.settings import Settings
from gateway.state import BUS, CONTEXT_CACHE
from graph import GraphDatabase
from tests.conftest import Gateway, Services

PROTOCOL = "graphql-transport-ws"
WAIT_S = 15.0

ADD = """
mutation($c: ID!, $sku: ID!, $key: String!, $ch: Channel!) {
  addCartItem(customerId: $c, sku: $sku, quantity: 1, channel: $ch, idempotencyKey: $key) {
    version
  }
}
"""
CART_CHANGED = """
subscription($c: ID!) { cartChanged(customerId: $c) { id version status lines { quantity
  product { sku } } } }
"""


@dataclass(frozen=True)
class Instance:
    """One running gateway: its HTTP client and its application (to look at its bus)."""

    gateway: Gateway
    app: web.Application

    @property
    def ws_url(self) -> str:
        return f"{self.gateway.url}/graphql"

    @property
    def open_feeds(self) -> int:
        return self.app[BUS].open_feeds

    @property
    def cache_stats(self) -> Any:
        return self.app[CONTEXT_CACHE].stats

    async def add_item(self, customer: str, sku: str = "FX-P1", channel: str = "WEB") -> int:
        answer = await self.gateway.query(
            ADD, {"c": customer, "sku": sku, "key": f"rt-{uuid.uuid4().hex}", "ch": channel}
        )
        assert "errors" not in answer, answer
        version: int = answer["data"]["addCartItem"]["version"]
        return version


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[Instance]:
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", settings.port).start()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            gateway = Gateway(url=f"http://127.0.0.1:{settings.port}", session=session)
            await asyncio.wait_for(app[BUS].reader_ready.wait(), WAIT_S)
            yield Instance(gateway=gateway, app=app)
    finally:
        await runner.cleanup()


@pytest.fixture
async def pair(
    services: Services, graph: GraphDatabase
) -> AsyncIterator[tuple[Instance, Instance]]:
    """Two gateway instances on their own ports, sharing Neo4j and Redis."""
    async with (
        serving(services.settings(migrate_on_start=False)) as a,
        serving(services.settings(migrate_on_start=False)) as b,
    ):
        yield a, b


@pytest.fixture
def new_customer(graph: GraphDatabase) -> Callable[[], Awaitable[str]]:
    async def make() -> str:
        customer = f"cus_rt_{uuid.uuid4().hex[:12]}"
        await graph.write(
            "CREATE (:Customer {id: $id, displayName: 'Live Test', createdAt: datetime()})",
            {"id": customer},
        )
        return customer

    return make


class Closed(Exception):
    def __init__(self, code: int | None) -> None:
        super().__init__(f"closed with {code}")
        self.code = code


class WsClient:
    """A graphql-transport-ws client: every wait is bounded by a timeout."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_json(message)

    async def receive(self, within: float = WAIT_S) -> dict[str, Any]:
        message = await asyncio.wait_for(self.ws.receive(), within)
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            raise Closed(self.ws.close_code)
        assert message.type == aiohttp.WSMsgType.TEXT, message
        body: dict[str, Any] = message.json()
        return body

    async def close_code(self, within: float = WAIT_S) -> int | None:
        with contextlib.suppress(Closed):
            while True:
                await self.receive(within)
        return self.ws.close_code

    async def init(self, payload: dict[str, Any] | None = None) -> None:
        await self.send({"type": "connection_init", "payload": payload or {}})
        assert (await self.receive())["type"] == "connection_ack"

    async def subscribe(self, op_id: str, query: str, variables: dict[str, Any]) -> None:
        await self.send(
            {"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )

    async def next(self, op_id: str, within: float = WAIT_S) -> dict[str, Any]:
        """The next ``next`` payload of ``op_id`` (pongs skipped; anything else fails)."""
        while True:
            message = await self.receive(within)
            if message["type"] == "pong":
                continue
            assert message.get("id") == op_id, message
            assert message["type"] == "next", message
            payload: dict[str, Any] = message["payload"]
            assert "errors" not in payload, payload
            return payload["data"]


@contextlib.asynccontextmanager
async def ws_client(instance: Instance, *, init: bool = True) -> AsyncIterator[WsClient]:
    async with instance.gateway.session.ws_connect(instance.ws_url, protocols=(PROTOCOL,)) as ws:
        assert ws.protocol == PROTOCOL
        client = WsClient(ws)
        if init:
            await client.init()
        yield client


async def eventually(check: Callable[[], bool], within: float = WAIT_S) -> None:
    """Wait until ``check()`` holds (for state with no event to await: counts after teardown)."""
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.02)
