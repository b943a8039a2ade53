"""A Neo4j that drops connections silently (a firewall swallowing its packets, a hung host): a
webhook's sender still hears the 503 with ``Retry-After`` before it gives up waiting.

The stand-in is a real TCP black hole: a listener that accepts every connection and never
answers, so the driver's connection never completes its Bolt handshake.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import pytest

from simulators._webhooks import DEV_SECRET, WebhookEmitter, WebhookRetries
from tests.conftest import Services, running_gateway
from tests.gateway.test_webhooks import ALICE_EMAIL, event, unique


@contextlib.asynccontextmanager
async def black_hole() -> AsyncIterator[int]:
    """The port of a listener that accepts connections, reads nothing and answers nothing."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        for writer in held:
            writer.close()
        await asyncio.gather(*(w.wait_closed() for w in held), return_exceptions=True)
        await server.wait_closed()


async def test_a_sender_hears_the_503_when_neo4j_accepts_connections_but_never_answers(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """The simulators wait 5 s for an answer; each attempt to reach this Neo4j cost the driver's
    5 s connection timeout, so they timed out (and posted again at once) instead of following
    the 503's Retry-After."""
    async with black_hole() as port:
        settings = services.settings(neo4j_uri=f"bolt://127.0.0.1:{port}", migrate_on_start=False)
        async with running_gateway(settings) as cut_off:
            emitter = WebhookEmitter(
                f"{cut_off.url}/webhooks", DEV_SECRET, "web", WebhookRetries(attempts=1)
            )
            await emitter.start()
            try:
                with caplog.at_level(logging.WARNING, logger="simulators.webhooks"):
                    emitter.emit(event(unique("black-hole"), ALICE_EMAIL))
                    await emitter.drained()
            finally:
                await emitter.close()
    given_up = [r.getMessage() for r in caplog.records if "given up" in r.getMessage()]
    assert len(given_up) == 1
    assert "HTTP 503" in given_up[0], given_up
