"""A scriptable channel system served over real HTTP, clients pointed at it, and an in-memory
stale store: the fakes sit at the I/O seams only, the HTTP in between is real.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from purgatory.domain import model as breaker_model

from channels import ChannelClient, ChannelConfig, StaleEntry, StaleStore
from gateway.services import free_port


@dataclass(frozen=True)
class Reply:
    """How the fake system answers one request."""

    status: int = 200
    body: Any = field(default_factory=lambda: {"ok": True})
    delay_s: float = 0.0
    held: bool = False  # never answer: wait until the client gives up (or the test releases it)
    drop: bool = False
    text: str | None = None  # answer this text instead of ``body`` as JSON
    headers: dict[str, str] = field(default_factory=dict)


OK = Reply()
UNAVAILABLE = Reply(status=503, body={"error": "down for maintenance"})


@dataclass(frozen=True)
class Hit:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class ScriptedSystem:
    """A channel system stand-in: answers each path from a script, then from its default."""

    url: str = ""
    hits: list[Hit] = field(default_factory=list)
    scripts: dict[str, list[Reply]] = field(default_factory=dict)
    defaults: dict[str, Reply] = field(default_factory=dict)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    in_flight: int = 0

    def will(self, path: str, *replies: Reply) -> None:
        """Answer the next requests to ``path`` with ``replies``, in order."""
        self.scripts.setdefault(path, []).extend(replies)

    def always(self, path: str, reply: Reply) -> None:
        """Answer ``path`` with ``reply`` once its script has run out."""
        self.defaults[path] = reply

    def hits_on(self, path: str) -> int:
        return sum(1 for hit in self.hits if hit.path == path)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.hits.append(
            Hit(request.method, request.path, dict(request.headers), await request.read())
        )
        script = self.scripts.get(request.path)
        reply = script.pop(0) if script else self.defaults.get(request.path, OK)
        self.in_flight += 1
        try:
            if reply.delay_s:
                await asyncio.sleep(reply.delay_s)
            if reply.held:
                await self.released.wait()
        finally:
            self.in_flight -= 1
        if reply.drop:
            assert request.transport is not None
            request.transport.abort()
            await asyncio.sleep(1)  # cancelled: the connection is gone
        if reply.text is not None:
            return web.Response(text=reply.text, status=reply.status, headers=reply.headers)
        return web.json_response(reply.body, status=reply.status, headers=reply.headers)


@pytest.fixture
async def system() -> AsyncIterator[ScriptedSystem]:
    fake = ScriptedSystem()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    # Handlers of requests the client gave up on are cancelled, so teardown never waits on them.
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.2, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    fake.url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        await runner.cleanup()


class MemoryStaleStore:
    """A :class:`StaleStore` in a dict."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], StaleEntry] = {}

    async def load(self, channel: str, key: str) -> StaleEntry | None:
        return self.entries.get((channel, key))

    async def save(self, channel: str, key: str, entry: StaleEntry) -> None:
        self.entries[(channel, key)] = entry

    async def save_many(self, channel: str, entries: Mapping[str, StaleEntry]) -> None:
        for key, entry in entries.items():
            await self.save(channel, key, entry)


async def wait_until(condition: Callable[[], bool], within: float = 30) -> None:
    """Poll ``condition`` until it holds; fail after ``within`` seconds (generous: CI is loaded)."""
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.01)


HELD = Reply(held=True)

OpenClient = Callable[..., Awaitable[ChannelClient]]


@pytest.fixture
async def open_client(system: ScriptedSystem) -> AsyncIterator[OpenClient]:
    """Open a client on the fake system; keyword arguments override its config.

    Each attempt gets 30 s, not the 0.8 s default: a loaded CI host can stall an answer of
    milliseconds past 0.8 s, and fail a test that is not about timeouts. A test about the
    per-call timeout sets its own, against a system that never answers (``HELD``).
    """
    clients: list[ChannelClient] = []

    async def open_(stale_store: StaleStore | None = None, **overrides: Any) -> ChannelClient:
        values: dict[str, Any] = {
            "name": "webshop",
            "base_url": system.url,
            "call_timeout_s": 30,
            "retry_wait_s": 0.01,
            "retry_wait_max_s": 0.02,
            "retry_jitter_s": 0.01,
        }
        client = ChannelClient(ChannelConfig(**(values | overrides)), stale_store)
        await client.start()
        clients.append(client)
        return client

    try:
        yield open_
    finally:
        for client in clients:
            await client.close()


@dataclass
class BreakerClock:
    """The clock purgatory times an open breaker with (its module's ``time.time``), stopped:
    only :meth:`advance` moves it, so a breaker stays open however long the host stalls and
    reaches its TTL without the test sleeping through it."""

    now: float

    @classmethod
    def frozen(cls, monkeypatch: pytest.MonkeyPatch) -> BreakerClock:
        clock = cls(time.time())
        monkeypatch.setattr(breaker_model, "time", clock)
        return clock

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
