"""Signed event posts from a simulated system to the gateway's webhooks, retried in the background.

A system that emits events (stores: receipts, OMS: orders) calls :func:`emit` once it has decided
its answer; the delivery runs in a background task, so the system's own request neither waits for
the gateway nor fails because of it. As real channel systems do, a delivery that failed for a
reason that may pass (no connection, no answer within 5 s, a 5xx, a 429) is posted again with
exponential backoff and jitter (stamina), a bounded number of times, with the very same body and
event id: the gateway's ingest counts an event id it already holds as a duplicate, so a retry of a
delivery that did land changes nothing. Each post, retries included, is signed at the time it is
sent (the gateway refuses a timestamp too far from its clock). A 503 or 429 with ``Retry-After`` is
posted again after the wait it asks for (at most ``retry_after_max_s``). Another 4xx is the gateway
refusing the event: logged, never retried. A delivery that runs out of attempts is logged, never
raised. At most ``max_pending`` deliveries are under way at once (a gateway down for long must not
grow the simulator's memory without end): past it a new event is logged and dropped. When the
simulator stops, deliveries waiting for their next attempt are posted once more at once instead of
being abandoned. Without a webhook URL in the config, emitting does nothing. This module signs the
way any channel system would (``X-Parcours-Timestamp``, the Unix time of the post, and
``X-Parcours-Signature``, the HMAC-SHA256 of ``<timestamp>.<raw body>``) and must never import the
gateway.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import stamina
from aiohttp import web

from simulators._config import SimulatorConfig

# The gateway's key for a channel in dev: public by design, never accepted in production.
DEV_SECRET = "dev-webhook-secret-{channel}"  # noqa: S105
SIGNATURE_HEADER = "X-Parcours-Signature"
TIMESTAMP_HEADER = "X-Parcours-Timestamp"
# Longer than the gateway takes to answer 503 when Neo4j is down (about 3 s: its ingest retries),
# so the emitter follows that answer's Retry-After instead of timing out and posting again sooner.
WEBHOOK_TIMEOUT_S = 5.0

log = logging.getLogger("simulators.webhooks")


@dataclass(frozen=True)
class WebhookRetries:
    """How a failed delivery is tried again: at most ``attempts`` posts in all, waiting
    ``wait_initial_s`` doubled after each failure (at most ``wait_max_s``) plus up to
    ``wait_jitter_s`` at random, or what the answer's ``Retry-After`` asks (at most
    ``retry_after_max_s``). The defaults span about a minute: a gateway restarting. At most
    ``max_pending`` deliveries are under way at once.

    Example:
        >>> WebhookRetries().attempts
        8
    """

    attempts: int = 8
    wait_initial_s: float = 0.5
    wait_max_s: float = 30.0
    wait_jitter_s: float = 1.0
    retry_after_max_s: float = 300.0
    max_pending: int = 10_000


class _NotTaken(Exception):
    """The gateway answered a status a later post may get past (a 5xx, a 429), maybe saying
    when to post again."""

    def __init__(self, status: int, text: str, retry_after_s: float | None = None) -> None:
        super().__init__(f"HTTP {status}: {text}")
        self.status = status
        self.retry_after_s = retry_after_s


def retry_after_s(value: str | None, now: datetime | None = None) -> float | None:
    """The seconds a ``Retry-After`` header asks for (delay-seconds or an HTTP-date), or
    ``None`` when there is none or it cannot be read.

    Example:
        >>> retry_after_s("120"), retry_after_s("soon"), retry_after_s(None)
        (120.0, None, None)
        >>> retry_after_s("Mon, 07 Dec 2026 10:00:30 GMT", datetime(2026, 12, 7, 10, tzinfo=UTC))
        30.0
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def _worth_retrying(exc: BaseException) -> bool:
    """A failure that may pass: no connection or answer in time, a 5xx or a 429."""
    return isinstance(exc, aiohttp.ClientError | TimeoutError | _NotTaken)


@dataclass
class _Delivery:
    """One event's body, the same for every attempt (each signed when it is sent), and where it
    stands."""

    event_id: object
    body: bytes
    posting: bool = False  # a post is in flight (else it is waiting for its next attempt)
    settled: bool = False  # taken, refused or given up: nothing left to do


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value of ``body`` sent at ``timestamp``: ``sha256=<hex>``, the
    HMAC-SHA256 of ``<timestamp>.<body>``."""
    message = timestamp.encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, at: float | None = None) -> dict[str, str]:
    """The headers of a JSON post of ``body`` signed at ``at`` (a Unix time; now by default).

    Example:
        >>> sorted(signed_headers("key", b"{}", at=1765000000.5))
        ['Content-Type', 'X-Parcours-Signature', 'X-Parcours-Timestamp']
    """
    timestamp = str(int(time.time() if at is None else at))
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }


class WebhookEmitter:
    """Posts one system's events to ``<base URL>/<channel>``, signed, each in a background task
    that retries a failed delivery as ``retries`` says.

    ``{channel}`` in the secret stands for the channel, so one secret setting serves systems whose
    channels have different keys. ``clock`` (Unix time) dates each post's signature.

    Example:
        >>> emitter = WebhookEmitter("http://127.0.0.1:8080/webhooks/", "key-{channel}", "store")
        >>> emitter.url, emitter.secret
        ('http://127.0.0.1:8080/webhooks/store', 'key-store')
    """

    def __init__(
        self,
        base_url: str,
        secret: str,
        channel: str,
        retries: WebhookRetries | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = f"{base_url.rstrip('/')}/{channel}"
        self.secret = secret.replace("{channel}", channel)
        self.retries = retries or WebhookRetries()
        self.clock = clock
        self.dropped = 0  # events not even tried: max_pending deliveries were under way
        self._session: aiohttp.ClientSession | None = None
        self._pending: dict[asyncio.Task[None], _Delivery] = {}

    async def start(self) -> None:
        timeout = aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT_S)
        self._session = aiohttp.ClientSession(timeout=timeout)

    @property
    def pending(self) -> int:
        """How many deliveries are under way (posting, or waiting for their next attempt)."""
        return len(self._pending)

    def emit(self, event: dict[str, Any]) -> None:
        """Deliver ``event`` soon, without waiting; keep the task referenced until it ends."""
        event_id = event.get("id")
        if self._session is None:
            log.warning("webhook %s dropped: the emitter is not started", event_id)
            return
        if len(self._pending) >= self.retries.max_pending:
            self.dropped += 1
            log.warning(
                "webhook %s to %s dropped: %d deliveries already under way",
                event_id,
                self.url,
                len(self._pending),
            )
            return
        # One body for every attempt: the same event id, so a retry of a delivery that did land
        # is a duplicate the gateway recognises.
        body = json.dumps(event, separators=(",", ":")).encode()
        delivery = _Delivery(event_id, body)
        task = asyncio.get_running_loop().create_task(self._deliver(delivery))
        self._pending[task] = delivery
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._pending.pop(task, None)

    async def drained(self) -> None:
        """Return once every delivery emitted so far has ended: taken, refused or given up."""
        while self._pending:
            await asyncio.wait(set(self._pending))

    def _backoff(self, exc: BaseException) -> bool | float:
        """Whether to post again, and after how long when the gateway said (``Retry-After``)."""
        if isinstance(exc, _NotTaken) and exc.retry_after_s is not None:
            return min(exc.retry_after_s, self.retries.retry_after_max_s)
        return _worth_retrying(exc)

    async def _deliver(self, delivery: _Delivery) -> None:
        session, retries = self._session, self.retries
        if session is None:  # closed between emit and this task's start
            return
        try:
            async for attempt in stamina.retry_context(
                on=self._backoff,
                attempts=retries.attempts,
                timeout=None,  # each post has its own timeout; the attempts bound the whole
                wait_initial=retries.wait_initial_s,
                wait_max=retries.wait_max_s,
                wait_jitter=retries.wait_jitter_s,
            ):
                with attempt:
                    await self._post(session, delivery)
        except (aiohttp.ClientError, TimeoutError, _NotTaken) as exc:
            delivery.settled = True
            log.warning(
                "webhook %s to %s given up after %d attempts: %r",
                delivery.event_id,
                self.url,
                retries.attempts,
                exc,
            )

    async def _post(self, session: aiohttp.ClientSession, delivery: _Delivery) -> None:
        delivery.posting = True
        # Signed now, not when emitted: a retry a minute later must not look like a replay.
        headers = signed_headers(self.secret, delivery.body, at=self.clock())
        try:
            async with session.post(self.url, data=delivery.body, headers=headers) as response:
                status = response.status
                wait = retry_after_s(response.headers.get("Retry-After"))
                text = "" if status < 300 else (await response.text())[:500]
                rejected = await _rejected(response) if status < 300 else []
        finally:
            delivery.posting = False
        if status >= 500 or status == 429:
            raise _NotTaken(status, text, wait)
        delivery.settled = True
        for event in rejected:
            # Taken, but not that event: the gateway's answer says why; posting again would not
            # change it (an erased customer, an unknown SKU or store, a malformed event).
            log.warning(
                "webhook %s to %s: event %s not recorded, not retried: %s",
                delivery.event_id,
                self.url,
                event.get("id"),
                f"{event.get('code')}: {event.get('message')}"[:500],
            )
        if status >= 300:
            log.warning(
                "webhook %s to %s refused with %s, not retried: %s",
                delivery.event_id,
                self.url,
                status,
                text,
            )

    async def close(self) -> None:
        """Let posts in flight finish (for at most one post's timeout), post every delivery still
        waiting for its next attempt once more at once (not abandon it), then close the
        session. What the gateway still does not take is logged as lost."""
        in_flight = {task for task, delivery in self._pending.items() if delivery.posting}
        if in_flight:
            await asyncio.wait(in_flight, timeout=WEBHOOK_TIMEOUT_S)
        unsettled = [d for d in self._pending.values() if not d.settled]
        late = set(self._pending)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        if self._session is not None:
            await asyncio.gather(*(self._last_post(self._session, d) for d in unsettled))
            await self._session.close()
            self._session = None

    async def _last_post(self, session: aiohttp.ClientSession, delivery: _Delivery) -> None:
        try:
            await self._post(session, delivery)
        except (aiohttp.ClientError, TimeoutError, _NotTaken) as exc:
            log.warning(
                "webhook %s to %s lost: the simulator is closing and the last post failed: %r",
                delivery.event_id,
                self.url,
                exc,
            )


async def _rejected(response: aiohttp.ClientResponse) -> list[dict[str, Any]]:
    """The events a 2xx answer lists as not recorded (``rejected``); none if it lists none."""
    try:
        answer = await response.json(content_type=None)
    except ValueError:
        return []
    listed = answer.get("rejected") if isinstance(answer, dict) else None
    if not isinstance(listed, list):
        return []
    return [event for event in listed if isinstance(event, dict)]


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
