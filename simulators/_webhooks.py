"""Signed event posts from a simulated system to the gateway's webhooks, fire and forget.

A system that emits events (stores: receipts, OMS: orders) calls :func:`emit` once it has decided
its answer; the post runs in a background task with a 2 s timeout and a failure is logged, never
raised, so the system's own request neither waits for the gateway nor fails because of it. Without
a webhook URL in the config, emitting does nothing. This module signs the way any channel system
would (HMAC-SHA256 of the raw body) and must never import the gateway.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web

from simulators._config import SimulatorConfig

# The gateway's key for a channel in dev: public by design, never accepted in production.
DEV_SECRET = "dev-webhook-secret-{channel}"  # noqa: S105
SIGNATURE_HEADER = "X-Parcours-Signature"
WEBHOOK_TIMEOUT_S = 2.0

log = logging.getLogger("simulators.webhooks")


def sign(secret: str, body: bytes) -> str:
    """The signature header value of ``body``: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookEmitter:
    """Posts one system's events to ``<base URL>/<channel>``, signed, each in a background task.

    ``{channel}`` in the secret stands for the channel, so one secret setting serves systems whose
    channels have different keys.

    Example:
        >>> emitter = WebhookEmitter("http://127.0.0.1:8080/webhooks/", "key-{channel}", "store")
        >>> emitter.url, emitter.secret
        ('http://127.0.0.1:8080/webhooks/store', 'key-store')
    """

    def __init__(self, base_url: str, secret: str, channel: str) -> None:
        self.url = f"{base_url.rstrip('/')}/{channel}"
        self.secret = secret.replace("{channel}", channel)
        self._session: aiohttp.ClientSession | None = None
        self._pending: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        timeout = aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT_S)
        self._session = aiohttp.ClientSession(timeout=timeout)

    def emit(self, event: dict[str, Any]) -> None:
        """Post ``event`` soon, without waiting; keep the task referenced until it ends."""
        task = asyncio.get_running_loop().create_task(self._post(event))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _post(self, event: dict[str, Any]) -> None:
        if self._session is None:
            log.warning("webhook %s dropped: the emitter is not started", event.get("id"))
            return
        body = json.dumps(event, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(self.secret, body)}
        try:
            async with self._session.post(self.url, data=body, headers=headers) as response:
                if response.status >= 300:
                    log.warning(
                        "webhook %s to %s answered %s: %s",
                        event.get("id"),
                        self.url,
                        response.status,
                        (await response.text())[:500],
                    )
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("webhook %s to %s failed: %r", event.get("id"), self.url, exc)

    async def close(self) -> None:
        """Let posts in flight finish (within their timeout), then close the session."""
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=WEBHOOK_TIMEOUT_S)
        late = set(self._pending)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None


WEBHOOKS = web.AppKey("webhooks", WebhookEmitter)


def attach_webhooks(app: web.Application, config: SimulatorConfig, channel: str) -> None:
    """Give ``app`` an emitter for ``channel`` when ``config`` has a webhook URL."""
    if config.webhook_url is None:
        return
    emitter = WebhookEmitter(config.webhook_url, config.webhook_secret or DEV_SECRET, channel)
    app[WEBHOOKS] = emitter

    async def lifecycle(_: web.Application) -> AsyncIterator[None]:
        await emitter.start()
        try:
            yield
        finally:
            await emitter.close()

    app.cleanup_ctx.append(lifecycle)


def emit(app: web.Application, event: dict[str, Any]) -> None:
    """Post ``event`` to the gateway in the background, if this app emits webhooks at all."""
    emitter = app.get(WEBHOOKS)
    if emitter is not None:
        emitter.emit(event)
