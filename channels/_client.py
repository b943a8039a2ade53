"""The HTTP client every channel system is reached through, with the federation policy built in.

Per system: its own connection pool (a bulkhead), a per-call timeout inside the request's deadline,
a circuit breaker, bounded jittered retries for idempotent calls only, and a stale fallback for
reads. (aiohttp itself also resends an idempotent request once when a pooled connection turns out
dead, per RFC 9112; that stays inside the same attempt's timeout and never touches a POST.)
Per-system clients wrap this one and add paths and types. This module must never import the
gateway, the resolvers, strawberry or ``aiohttp.web``, and never waits past a request's deadline.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import aiohttp
import orjson
import stamina
import structlog

from channels._answer import ChannelAnswer
from channels._breaker import SystemBreaker
from channels._config import ChannelConfig
from channels._deadline import Deadline
from channels._errors import (
    ChannelCircuitOpen,
    ChannelError,
    ChannelTimeout,
    ChannelUnavailable,
)
from channels._health import RecentFailures, SystemHealth
from channels._observer import ChannelObserver, NoObserver
from channels._parse import UnexpectedPayload
from channels._responses import decode_answer
from channels._stale import StaleEntry, StaleItems, StaleStore

log = structlog.get_logger("parcours.channels")

QueryParams = Mapping[str, str | int | float]
# Reads a decoded JSON body into what an answer carries; raises one of UNREADABLE when it cannot.
Parse = Callable[[Any], Any]
# What reading a body that is not what it should be raises (a parse of it, see get_json).
UNREADABLE = (UnexpectedPayload, LookupError, TypeError, ValueError)
# The system did not answer (a stale answer still means it failed); a 4xx but 429 is an answer.
_FAILED_OUTCOMES = frozenset({"stale", ChannelUnavailable.code, ChannelTimeout.code})


@dataclass(frozen=True, slots=True)
class _Request:
    method: str
    path: str
    params: QueryParams | None = None
    # Bodies can carry customer data: kept out of reprs, hence out of retry logs.
    body: bytes | None = field(default=None, repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)

    def describe(self) -> str:
        return f"{self.method} {self.path}"


class ChannelClient:
    """An aiohttp client for one channel system, with its own pool, breaker and retries.

    Use it as an async context manager (or call :meth:`start` and :meth:`close`). Reads may name a
    ``stale_key``: the last good answer is kept under it and served, marked stale, when the system
    fails. Failures raise :class:`ChannelUnavailable` or :class:`ChannelTimeout`; a 404 raises
    :class:`ChannelNotFound` and another 4xx :class:`ChannelRejected`.

    Example:
        >>> async def cart(store: StaleStore) -> ChannelAnswer[Any]:
        ...     config = ChannelConfig(name="webshop", base_url="http://127.0.0.1:9101")
        ...     async with ChannelClient(config, store) as webshop:
        ...         return await webshop.get_json(
        ...             "/carts/c-1", deadline=Deadline.after(0.5), stale_key="cart:c-1"
        ...         )
    """

    def __init__(
        self,
        config: ChannelConfig,
        stale_store: StaleStore | None = None,
        observer: ChannelObserver | None = None,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
    ) -> None:
        self.config = config
        self._trace_configs = list(trace_configs)
        self._stale_store = stale_store
        self._observer: ChannelObserver = observer or NoObserver()
        self._failures = RecentFailures(config.failure_window_s)
        self._breaker = SystemBreaker(
            config.name, config.breaker_threshold, config.breaker_ttl_s, self._observer
        )
        self._base_url = config.base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None
        # Stale copies being written, by key: the answer does not wait for its copy. While one is
        # written, only the newest answer of the same key waits to follow it (``_waiting``): a key
        # answered faster than its copies can be written costs two copies in hand, not a queue.
        self._saving: dict[str, asyncio.Task[None]] = {}
        self._waiting: dict[str, tuple[ChannelAnswer[Any], Deadline]] = {}
        self._retrying = stamina.AsyncRetryingCaller(
            attempts=config.retries + 1,
            timeout=None,  # the request's deadline bounds retries instead, see _call
            wait_initial=config.retry_wait_s,
            wait_max=config.retry_wait_max_s,
            wait_jitter=config.retry_jitter_s,
        )

    @property
    def name(self) -> str:
        return self.config.name

    def health(self) -> SystemHealth:
        """This instance's view of the system: its breaker and the calls that failed lately."""
        return SystemHealth(
            system=self.name,
            breaker_state=self._breaker.state,
            recent_failures=self._failures.count(),
            window_s=self._failures.window_s,
        )

    async def start(self) -> None:
        """Open this system's connection pool; calling it again does nothing."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.config.pool_size),
                # Each attempt runs under its own asyncio.timeout, cut to the request's deadline.
                timeout=aiohttp.ClientTimeout(total=None),
                headers={"Accept": "application/json"},
                # One pool serves every customer: a cookie a system sets in an answer about one
                # customer must never travel with the calls about the next ones.
                cookie_jar=aiohttp.DummyCookieJar(),
                trace_configs=self._trace_configs or None,
            )

    async def stale_copies_written(self) -> None:
        """Return once every stale copy of the answers so far is written (or has failed)."""
        while self._saving:
            await asyncio.wait(list(self._saving.values()))

    async def close(self) -> None:
        """Close the pool (in-flight calls fail) once the stale copies being written are kept."""
        await self.stale_copies_written()
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def __aenter__(self) -> ChannelClient:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def get_json(
        self,
        path: str,
        params: QueryParams | None = None,
        *,
        deadline: Deadline,
        stale_key: str | None = None,
        stale_items: StaleItems | None = None,
        parse: Parse | None = None,
    ) -> ChannelAnswer[Any]:
        """GET ``path`` (already URL-quoted) and decode its JSON; retried, stale-backed.

        With a ``stale_key`` (one copy of the whole answer) or ``stale_items`` (one copy per item)
        and a store, a slice of the deadline (``stale_reserve_s``) is kept back from the network
        so the fallback lookup still fits inside the deadline. ``parse`` reads the JSON into what
        the answer carries: a 2xx body it cannot read (it raises one of ``UNREADABLE``) is the
        system failing, as a body that is not JSON is: a :class:`ChannelUnavailable` (not
        retried, counted by the breaker, answered by the last good copy when there is one) and
        never kept as a copy; a kept copy it cannot read is no fallback (the failure stands).
        """
        started = time.perf_counter()
        request = _Request("GET", path, params=params)
        can_fall_back = (
            stale_key is not None or stale_items is not None
        ) and self._stale_store is not None
        reserve = self.config.stale_reserve_s if can_fall_back else 0.0
        try:
            data, parsed = await self._call(
                request, deadline, reserve, idempotent=True, parse=parse
            )
        except (ChannelUnavailable, ChannelTimeout) as exc:
            stale = None
            if can_fall_back and stale_items is not None:
                stale = await self._load_stale_items(stale_items, deadline, started)
            elif can_fall_back:
                stale = await self._load_stale(stale_key, deadline, started)
            if stale is not None and parse is not None:
                stale = self._readable(stale, parse)
            self._log_failure(request, exc, started, stale_fallback=stale is not None)
            self._observe(request, "stale" if stale is not None else exc.code, started)
            if stale is None:
                raise
            return dataclasses.replace(
                stale, failure_code=exc.code, circuit_open=isinstance(exc, ChannelCircuitOpen)
            )
        except ChannelError as exc:
            self._observe(request, exc.code, started)
            raise
        self._observe(request, "ok", started)
        answer = self._answer(data, started)
        if can_fall_back and stale_items is not None:
            self._keep_stale_items(stale_items, answer, deadline)
        elif can_fall_back and stale_key is not None:
            self._keep_stale(stale_key, answer, deadline)
        return answer if parse is None else answer.with_data(parsed)

    async def post_json(
        self,
        path: str,
        body: Any,
        *,
        deadline: Deadline,
        idempotency_key: str | None = None,
        parse: Parse | None = None,
    ) -> ChannelAnswer[Any]:
        """POST ``body`` as JSON to ``path``; retried only when an ``idempotency_key`` is given.

        The key travels in the ``Idempotency-Key`` header, the same on every attempt, so the
        system can recognise a retry of a write it already applied. ``parse``: as for
        :meth:`get_json` (an answer it cannot read is a :class:`ChannelUnavailable`).
        """
        started = time.perf_counter()
        headers = {"Content-Type": "application/json"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        request = _Request("POST", path, body=orjson.dumps(body), headers=headers)
        try:
            data, parsed = await self._call(
                request, deadline, 0.0, idempotent=idempotency_key is not None, parse=parse
            )
        except ChannelError as exc:
            if isinstance(exc, ChannelUnavailable | ChannelTimeout):
                self._log_failure(request, exc, started, stale_fallback=False)
            self._observe(request, exc.code, started)
            raise
        self._observe(request, "ok", started)
        answer = self._answer(data, started)
        return answer if parse is None else answer.with_data(parsed)

    def _observe(self, request: _Request, outcome: str, started: float) -> None:
        if outcome in _FAILED_OUTCOMES:
            self._failures.record()
        self._observer.call_finished(
            self.name, request.method, outcome, time.perf_counter() - started
        )

    async def _call(
        self,
        request: _Request,
        deadline: Deadline,
        reserve: float,
        *,
        idempotent: bool,
        parse: Parse | None = None,
    ) -> tuple[Any, Any]:
        """The decoded body and what ``parse`` read of it (the body itself without one)."""
        if not idempotent or self.config.retries == 0:
            return await self._attempt(request, deadline, reserve, parse)

        def worth_retrying(exc: BaseException) -> bool:
            transient = isinstance(exc, ChannelTimeout) or (
                isinstance(exc, ChannelUnavailable) and exc.retryable
            )
            # Only retry when the longest backoff still leaves room for an attempt.
            return transient and deadline.remaining() - reserve > self.config.retry_wait_max_s

        # The first attempt runs on its own: stamina's retry machinery costs ~40 us a call, so
        # only a call that failed in a way worth retrying pays it. Its first "attempt" replays
        # that failure, so backoffs, attempt counts and retry hooks are stamina's own.
        try:
            return await self._attempt(request, deadline, reserve, parse)
        except ChannelError as exc:
            if not worth_retrying(exc):
                raise
            first_failure: ChannelError | None = exc

        async def attempt(request: _Request, deadline: Deadline, reserve: float) -> tuple[Any, Any]:
            nonlocal first_failure
            if first_failure is not None:
                failure, first_failure = first_failure, None
                raise failure
            return await self._attempt(request, deadline, reserve, parse)

        return await self._retrying(worth_retrying, attempt, request, deadline, reserve)

    async def _attempt(
        self, request: _Request, deadline: Deadline, reserve: float, parse: Parse | None
    ) -> tuple[Any, Any]:
        if self._session is None:  # checked outside the breaker: our mistake is no outage
            raise RuntimeError(f"channel client {self.name!r} used before start()")
        budget = deadline.remaining() - reserve
        if budget <= 0:
            raise ChannelTimeout(
                self.name,
                f"{request.describe()}: the request's deadline has passed",
                cut_by_deadline=True,
            )
        limit = min(self.config.call_timeout_s, budget)
        async with self._breaker.guard():
            try:
                async with asyncio.timeout(limit):
                    status, payload = await self._exchange(self._session, request)
            except TimeoutError as exc:
                raise ChannelTimeout(
                    self.name,
                    f"{request.describe()}: no answer within {limit:.3f} s",
                    cut_by_deadline=limit < self.config.call_timeout_s,
                ) from exc
            except aiohttp.ClientError as exc:
                raise ChannelUnavailable(
                    self.name, f"{request.describe()}: {type(exc).__name__}: {exc}"
                ) from exc
            data = decode_answer(self.name, request.describe(), status, payload)
            # Read inside the breaker's guard: a body we cannot read is the system failing.
            return data, self._read(request, status, data, parse)

    def _read(self, request: _Request, status: int, data: Any, parse: Parse | None) -> Any:
        """What ``parse`` reads of a fresh 2xx body; one it cannot read is garbage from the
        system, like a body that is not JSON: a failure, not worth retrying at once."""
        if parse is None:
            return data
        try:
            return parse(data)
        except UNREADABLE as exc:
            # Only our own description of the shape: a value from the body may name a customer.
            why = str(exc) if isinstance(exc, UnexpectedPayload) else type(exc).__name__
            raise ChannelUnavailable(
                self.name,
                f"{request.describe()}: HTTP {status} with a body we cannot read ({why})",
                status=status,
                retryable=False,
            ) from None

    async def _exchange(
        self, session: aiohttp.ClientSession, request: _Request
    ) -> tuple[int, bytes]:
        async with session.request(
            request.method,
            self._base_url + "/" + request.path.lstrip("/"),
            params=request.params,
            data=request.body,
            headers=request.headers,
        ) as response:
            return response.status, await response.read()

    def _answer(self, data: Any, started: float) -> ChannelAnswer[Any]:
        return ChannelAnswer(
            data=data,
            channel=self.name,
            stale=False,
            as_of=datetime.now(UTC),
            latency_ms=_ms_since(started),
        )

    async def _load_stale(
        self, key: str | None, deadline: Deadline, started: float
    ) -> ChannelAnswer[Any] | None:
        if self._stale_store is None or key is None or deadline.expired:
            return None
        try:
            async with asyncio.timeout(deadline.remaining()):
                while (saving := self._saving.get(key)) is not None and not saving.done():
                    # This instance's newest copy is still on its way (a copy that lands hands
                    # over to the one waiting behind it, so the loop ends with the newest).
                    await asyncio.shield(saving)
                entry = await self._stale_store.load(self.name, key)
        except Exception:  # a broken store must not break the call: the original error stands
            log.exception("stale_load_failed", channel=self.name, stale_key=key)
            return None
        if entry is None:
            return None
        return ChannelAnswer(
            data=entry.data,
            channel=self.name,
            stale=True,
            as_of=entry.as_of,
            latency_ms=_ms_since(started),
        )

    def _readable(self, stale: ChannelAnswer[Any], parse: Parse) -> ChannelAnswer[Any] | None:
        """The kept copy, read by ``parse``; None when it cannot be (an older shape, damage)."""
        try:
            return stale.with_data(parse(stale.data))
        except UNREADABLE as exc:  # its key and its text may name a customer: neither is logged
            log.warning("stale_copy_unreadable", channel=self.name, kind=type(exc).__name__)
            return None

    async def _load_stale_items(
        self, items: StaleItems, deadline: Deadline, started: float
    ) -> ChannelAnswer[Any] | None:
        """The answer rebuilt from each item's copy, dated by the oldest; None if one is missing."""
        found = await asyncio.gather(
            *(self._load_stale(key, deadline, started) for key in items.keys.values())
        )
        kept = [entry for entry in found if entry is not None]
        if not kept or len(kept) < len(found):
            return None
        return ChannelAnswer(
            data=items.join([entry.data for entry in kept if entry.data is not None]),
            channel=self.name,
            stale=True,
            as_of=min(entry.as_of for entry in kept),
            latency_ms=_ms_since(started),
        )

    def _keep_stale_items(
        self, items: StaleItems, answer: ChannelAnswer[Any], deadline: Deadline
    ) -> None:
        """Write the per-item copies of ``answer`` in the background, in one go (one task and one
        store call per answer, however many items). An item whose copy is still being written is
        left to that copy, a few milliseconds older (the next answer after it lands writes a
        newer one): a hot SKU costs one copy per write, not one per answer. A fallback waits for
        the copy in flight."""
        if self._stale_store is None or deadline.expired:
            return
        fresh = {item: key for item, key in items.keys.items() if key not in self._saving}
        if not fresh:
            return
        try:
            parts = items.split(answer.data)
        except UNREADABLE:
            # The caller's parse reports the unreadable body; nothing of it is kept.
            return
        entries = {key: StaleEntry(parts.get(item), answer.as_of) for item, key in fresh.items()}
        task = asyncio.ensure_future(self._save_stale_entries(entries, deadline))
        for key in entries:
            self._saving[key] = task

        def forget(done: asyncio.Task[None]) -> None:
            for key in entries:
                if self._saving.get(key) is done:
                    del self._saving[key]

        task.add_done_callback(forget)

    async def _save_stale_entries(
        self, entries: Mapping[str, StaleEntry], deadline: Deadline
    ) -> None:
        try:
            if self._stale_store is None or deadline.expired:
                return
            async with asyncio.timeout(deadline.remaining()):
                await self._stale_store.save_many(self.name, entries)
        except TimeoutError:  # as in _save_stale: the deadline passed, a batched store still writes
            log.debug("stale_save_cut_by_deadline", channel=self.name, stale_keys=len(entries))
        except Exception:  # the fresh answer is good: losing its copies only costs a fallback
            log.exception("stale_save_failed", channel=self.name, stale_keys=len(entries))

    def _keep_stale(self, key: str, answer: ChannelAnswer[Any], deadline: Deadline) -> None:
        """Write the stale copy of ``answer`` in the background, after the one of key in flight.

        Copies of one key land in the order their answers came. While one is being written, a
        newer answer replaces any answer already waiting: only the newest is worth keeping.
        """
        if self._stale_store is None or deadline.expired:
            return
        if key in self._saving:
            self._waiting[key] = (answer, deadline)
            return
        task = asyncio.ensure_future(self._save_stale(key, answer, deadline))
        self._saving[key] = task
        # A copy cancelled before it ran never hands over: forget it all the same.
        task.add_done_callback(
            lambda done: self._saving.pop(key) if self._saving.get(key) is done else None
        )

    async def _save_stale(self, key: str, answer: ChannelAnswer[Any], deadline: Deadline) -> None:
        try:
            if self._stale_store is None or deadline.expired:
                return
            async with asyncio.timeout(deadline.remaining()):
                await self._stale_store.save(self.name, key, StaleEntry(answer.data, answer.as_of))
        except TimeoutError:
            # The request's deadline passed while the copy waited for its write, as it does when
            # the gateway is overloaded: no error (a traceback each would add to the overload).
            # The store reports its own trouble, and a batched store still writes the copy.
            log.debug("stale_save_cut_by_deadline", channel=self.name, stale_key=key)
        except Exception:  # the fresh answer is good: losing its stale copy only costs a fallback
            log.exception("stale_save_failed", channel=self.name, stale_key=key)
        finally:
            # Hand over before this task ends, so ``_saving`` never holds a copy that has landed.
            self._saving.pop(key, None)
            if (waiting := self._waiting.pop(key, None)) is not None:
                self._keep_stale(key, *waiting)

    def _log_failure(
        self, request: _Request, exc: ChannelError, started: float, *, stale_fallback: bool
    ) -> None:
        # While the breaker is open every call fails fast; its opening was logged once already.
        level = log.debug if isinstance(exc, ChannelCircuitOpen) else log.warning
        level(
            "channel_call_failed",
            channel=self.name,
            method=request.method,
            path=request.path,
            ms=_ms_since(started),
            error=exc.code,
            kind=type(exc).__name__,
            status=getattr(exc, "status", None),
            stale_fallback=stale_fallback,
            detail=str(exc),
        )


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
