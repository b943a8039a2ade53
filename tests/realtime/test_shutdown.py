"""A gateway shutting down closes its WebSockets with 1001 Going Away before it lets go of Neo4j
and Redis: clients move to another instance at once, and no connection lives on past the
resources its credential checks and subscriptions use."""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web

from gateway.app import create_app
from tests.conftest import Services
from tests.realtime.conftest import WAIT_S


async def test_a_gateway_shutting_down_closes_its_websockets_going_away(services: Services):
    settings = services.settings(migrate_on_start=False)
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", settings.port).start()
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(
            f"ws://127.0.0.1:{settings.port}/graphql", protocols=["graphql-transport-ws"]
        )
        cleanup: asyncio.Future[None] | None = None
        try:
            await ws.send_json({"type": "connection_init"})
            assert (await ws.receive_json(timeout=WAIT_S))["type"] == "connection_ack"
            cleanup = asyncio.ensure_future(runner.cleanup())
            message = await ws.receive(timeout=WAIT_S)
            assert message.type is aiohttp.WSMsgType.CLOSE, message
            assert message.data == aiohttp.WSCloseCode.GOING_AWAY, message
        finally:
            await ws.close()
            await (cleanup if cleanup is not None else runner.cleanup())
