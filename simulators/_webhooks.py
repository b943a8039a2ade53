"""Signed event posts from a simulated system to the gateway's webhooks, retried in the background.

A system that emits events (stores: receipts, OMS: orders) calls :func:`emit` once it has decided
its answer; the delivery runs in a background task, so the system's own request neither waits for
the gateway nor fails because of it. As real channel systems do, a delivery that failed for a
reason that may pass (no connection, no answer within 2 s, a 5xx, a 429) is posted again with
exponential backoff and jitter (stamina), a bounded number of times, with the very same body and
event id: the gateway's ingest counts an event id it already holds as a duplicate, so a retry of
a delivery that did land changes nothing. Another 4xx is the gateway refusing the event: logged,
never retried. A delivery that runs out of attempts is logged, never raised. Without a webhook URL
in the config, emitting does nothing. This module signs the way any channel system would
(HMAC-SHA256 of the raw body) and must never import the gateway.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import stamina
from aiohttp import web

from simulators._config import SimulatorConfig

# The gateway's key for a channel in dev: public by design, never accepted in production.
DEV_SECRET = "dev-webhook-secret-{channel}"  # noqa: S105
SIGNATURE_HEADER = "X-Parcours-Signature"
WEBHOOK_TIMEOUT_S = 2.0

log = logging.getLogger("simulators.webhooks")


@dataclass(frozen=True)
class WebhookRetries:
    """How a failed delivery is tried again: at most ``attempts`` posts in all, waiting
    ``wait_initial_s`` doubled after each failure (at most ``wait_max_s``) plus up to
    ``wait_jitter_s`` at random. The defaults span about a minute: a gateway restarting.

    Example:
        >>> WebhookRetries().attempts
        8
    """

    attempts: int = 8
    wait_initial_s: float = 0.5
    wait_max_s: float = 30.0
    wait_jitter_s: float = 1.0


class _NotTaken(Exception):
    """The gateway answered a status a later post may get past (a 5xx, a 429)."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"HTTP {status}: {text}")
        self.status = status


def _worth_retrying(exc: BaseException) -> bool:
    """A failure that may pass: no connection or answer in time, a 5xx or a 429."""
    return isinstance(exc, aiohttp.ClientError | TimeoutError | _NotTaken)


def sign(secret: str, body: bytes) -> str:
    """The signature header value of ``body``: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookEmitter:
    """Posts one system's events to ``<base URL>/<channel>``, signed, each in a background task
    that retries a failed delivery as ``retries`` says.

    ``{channel}`` in the secret stands for the channel, so one secret setting serves systems whose
    channels have different keys.

    Example:
        >>> emitter = WebhookEmitter("http://127.0.0.1:8080/webhooks/", "key-{channel}", "store")
        >>> emitter.url, emitter.secret
        ('http://127.0.0.1:8080/webhooks/store', 'key-store')
    """

    def __init__(
        self, base_url: str, secret: str, channel: str, retries: WebhookRetries | None = None
    ) -> None:
        self.url = f"{base_url.rstrip('/')}/{channel}"
        self.secret = secret.replace("{channel}", channel)
        self.retries = retries or WebhookRetries()
        self._session: aiohttp.ClientSession | None = None
        self._pending: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        timeout = aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT_S)
        self._session = aiohttp.ClientSession(timeout=timeout)

    def emit(self, event: dict[str, Any]) -> None:
        """Deliver ``event`` soon, without waiting; keep the task referenced until it ends."""
        task = asyncio.get_running_loop().create_task(self._deliver(event))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drained(self) -> None:
        """Return once every delivery emitted so far has ended: taken, refused or given up."""
        while self._pending:
            await asyncio.wait(set(self._pending))

    async def _deliver(self, event: dict[str, Any]) -> None:
        event_id = event.get("id")
        if self._session is None:
            log.warning("webhook %s dropped: the emitter is not started", event_id)
            return
        # One body for every attempt: the same event id and signature, so a retry of a delivery
        # that did land is a duplicate the gateway recognises.
        body = json.dumps(event, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(self.secret, body)}
        retries = self.retries
        try:
            async for attempt in stamina.retry_context(
                on=_worth_retrying,
                attempts=retries.attempts,
                timeout=None,  # each post has its own timeout; the attempts bound the whole
                wait_initial=retries.wait_initial_s,
                wait_max=retries.wait_max_s,
                wait_jitter=retries.wait_jitter_s,
                name=f"webhook to {self.url}",
            ):
                with attempt:
                    await self._post(self._session, event_id, body, headers)
        except (aiohttp.ClientError, TimeoutError, _NotTaken) as exc:
            log.warning(
                "webhook %s to %s given up after %d attempts: %r",
                event_id,
                self.url,
                retries.attempts,
                exc,
            )
        except asyncio.CancelledError:
            log.warning("webhook %s to %s abandoned: the simulator is closing", event_id, self.url)
            raise

    async def _post(
        self,
        session: aiohttp.ClientSession,
        event_id: object,
        body: bytes,
        headers: dict[str, str],
    ) -> None:
        async with session.post(self.url, data=body, headers=headers) as response:
            if response.status < 300:
                return
            text = (await response.text())[:500]
        if response.status >= 500 or response.status == 429:
            raise _NotTaken(response.status, text)
        log.warning(
            "webhook %s to %s refused with %s, not retried: %s",
            event_id,
            self.url,
            response.status,
            text,
        )

    async def close(self) -> None:
        """Let deliveries in flight finish (for at most one post's timeout), abandon those still
        waiting to be retried, then close the session."""
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
