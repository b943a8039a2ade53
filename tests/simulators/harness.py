"""A simulator served for real on a free loopback port, and a small client to talk to it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from gateway.services import free_port
from simulators import SimulatorConfig, create_app
from tests.simulators import generated

CONFIG = SimulatorConfig(seed=42, customers=2000)


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any


@dataclass(frozen=True)
class Simulator:
    system: str
    url: str
    session: aiohttp.ClientSession
    app: web.Application | None = None  # the served app, to reach its webhook emitter

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        give_up_after_s: float | None = None,
    ) -> Reply:
        # Passing timeout=None would mean "no timeout at all": keep the session's unless asked.
        timeout = (
            aiohttp.ClientTimeout(total=give_up_after_s)
            if give_up_after_s
            else self.session.timeout
        )
        async with self.session.request(
            method, self.url + path, json=json, params=params, headers=headers, timeout=timeout
        ) as response:
            return Reply(response.status, await response.json())

    async def get(self, path: str, **params: str) -> Reply:
        return await self.call("GET", path, params=params or None)

    async def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Reply:
        return await self.call("POST", path, json=body, headers=headers)

    async def switch_faults(self, **faults: Any) -> dict[str, Any]:
        reply = await self.post("/admin/faults", faults)
        assert reply.status == 200, reply.body
        body: dict[str, Any] = reply.body
        return body

    async def reset(self) -> None:
        assert (await self.post("/admin/reset", None)).status == 200


@contextlib.asynccontextmanager
async def serve(system: str, config: SimulatorConfig = CONFIG) -> AsyncIterator[Simulator]:
    app = create_app(system, config)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            yield Simulator(system=system, url=f"http://127.0.0.1:{port}", session=session, app=app)
    finally:
        await runner.cleanup()


async def device_with_push_token(mobile: Simulator) -> dict[str, Any]:
    """The first generated app install whose device accepts notifications."""
    for customer in generated.with_identity("app_install_id"):
        reply = await mobile.get("/mobile/devices", installId=customer.first("app_install_id"))
        for device in reply.body["devices"]:
            if device["pushToken"]:
                return dict(device)
    raise AssertionError("no device accepts push notifications")
