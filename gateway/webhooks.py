"""``POST /webhooks/{channel}``: channel systems push their events here, signed with HMAC-SHA256.

Checks run in this order, and a request stops at the first that fails: the channel is one we ingest
(404), the body is at most 1 MiB (413), ``X-Parcours-Signature`` signs ``X-Parcours-Timestamp`` and
the raw body under the channel's secret, at a time within the tolerance of the gateway's clock
(401, :mod:`gateway.webhook_signatures`, checked before anything parses the body), the same
signed request not taken already (a replay within the tolerance is a 200 ``duplicate``, not
applied again: :mod:`gateway.webhook_replays`), the body is JSON
(415 for another content type) and has the shape of one event or ``{"events": [...]}`` of 1 to
500 (400 naming what is wrong). Then each event's shape, timestamp and identifiers: in a batch,
an event that fails is rejected alone (listed in the 200's ``rejected`` with its index, id, code
and the field at fault, e.g. ``events[2].type: unknown event type 'foo'``) and the others go on;
a lone event that fails is a 400. The valid events reach :func:`graph.ingest.ingest_events`,
which writes every one it takes or nothing, and rejects alone an event naming an unknown product
or store (in a batch; a lone one is a 400) or an identifier of an erased customer (dropped: the
200 counts it in ``erased`` too, so the sender does not send it again); when the graph
cannot take it now (Neo4j unreachable or busy), the answer is a 503 with ``Retry-After``, never a
2xx, so the sender posts it again; any other failure is a 500 ``INTERNAL`` in the same JSON shape
with the request id its cause is logged under. This module holds no Cypher and must never write
part of an event or log a secret (nor an identifier of a rejected event).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from gateway.realtime import publish_ingest
from gateway.state import GRAPH, REDIS, REQUEST_ID, SETTINGS
from gateway.webhook_replays import SeenRequests
from gateway.webhook_signatures import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureRefused,
    check_signature,
)
from graph import IdentityKind, InvalidIdentity, normalise_identity
from graph.identities import DEFAULT_PHONE_REGION
from graph.ingest import (
    INGEST_CHANNELS,
    ChannelEvent,
    EventType,
    IngestResult,
    IngestUnavailable,
    RejectedEvent,
    ingest_events,
)

log = structlog.get_logger("parcours.webhooks")

MAX_BODY_BYTES = 1024 * 1024
MAX_EVENTS = 500
# How long a sender should wait before posting again a batch the graph could not take (a 503).
RETRY_AFTER_S = 5
# The answer to a failure that is not the sender's (a bug, Neo4j misconfigured): the cause is
# logged under the request id, never told.
_INTERNAL = {
    "code": "INTERNAL",
    "message": "the events may not have been recorded (an internal error, logged under requestId);"
    " sending them again is safe: an event already recorded counts as a duplicate",
}


class WebhookRefused(Exception):
    """A webhook request answered with an error status and a coded JSON body; nothing written.

    Example:
        >>> WebhookRefused(400, "BAD_USER_INPUT", "events[0].at: is required").status
        400
    """

    def __init__(
        self, status: int, code: str, message: str, *, retry_after_s: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s


def _bad_input(path: str, message: str) -> WebhookRefused:
    return WebhookRefused(400, "BAD_USER_INPUT", f"{path}: {message}")


class _Identifier(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: IdentityKind
    value: str


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=128)
    type: EventType
    at: str
    identifiers: list[_Identifier] = Field(min_length=1, max_length=5)
    sku: str | None = Field(default=None, min_length=1, max_length=128)
    store_id: str | None = Field(default=None, alias="storeId", min_length=1, max_length=128)
    device_id: str | None = Field(default=None, alias="deviceId", min_length=1, max_length=128)
    query: str | None = Field(default=None, min_length=1, max_length=1000)
    notes: str | None = Field(default=None, max_length=2000)
    order_id: str | None = Field(default=None, alias="orderId", min_length=1, max_length=128)
    status: str | None = Field(default=None, pattern=r"^[A-Z][A-Z_]{1,39}$")
    result_count: int | None = Field(default=None, alias="resultCount", ge=0, le=1_000_000)
    outcome: Literal["ok", "error", "abandoned"] | None = None
    amount: float | None = Field(default=None, ge=0, le=10_000_000, allow_inf_nan=False)


@dataclass(frozen=True)
class ParsedBatch:
    """The valid events of one request, the position of each in the request, the events of a
    batch refused as they are, and how to name a field of event ``n``.

    Example:
        >>> ParsedBatch(events=(), batched=True).path(2, "sku")
        'events[2].sku'
    """

    events: Sequence[ChannelEvent]
    batched: bool
    positions: Sequence[int] = ()
    rejected: Sequence[RejectedEvent] = ()

    def path(self, index: int, field: str) -> str:
        return f"events[{index}].{field}" if self.batched else field


def _path(prefix: str, *loc: int | str) -> str:
    """``events[2]`` + ``identifiers, 0, value`` → ``events[2].identifiers[0].value``."""
    path = prefix + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return path.lstrip(".")


def _items(count: object) -> str:
    return f"{count} item" if count == 1 else f"{count} items"


def _describe(error: ErrorDetails) -> str:
    """A short message for one pydantic error, in the words of the webhook contract."""
    kind, ctx, field = error["type"], error.get("ctx", {}), error["loc"][-1] if error["loc"] else ""
    if kind == "enum":
        what = "event type" if field == "type" else "identifier kind"
        return f"unknown {what} {error['input']!r}"
    messages = {
        "missing": "is required",
        "extra_forbidden": "is not a field of an event",
        "string_type": "must be a string",
        "model_type": "must be an object",
        "list_type": "must be a list",
        "string_too_short": f"must be at least {ctx.get('min_length')} characters",
        "string_too_long": f"must be at most {ctx.get('max_length')} characters",
        "too_short": f"must hold at least {_items(ctx.get('min_length'))}",
        "too_long": f"must hold at most {_items(ctx.get('max_length'))}",
    }
    return messages.get(kind, error["msg"])


def _timestamp(value: str, path: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise _bad_input(path, f"must be an ISO-8601 date-time with a timezone, got {value!r}")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before the first instant UTC can hold
        raise _bad_input(path, f"is out of the range of dates, got {value!r}") from None


def _event(raw: object, prefix: str, phone_region: str) -> ChannelEvent:
    try:
        event = _Event.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise _bad_input(_path(prefix, *first["loc"]), _describe(first)) from None
    identifiers: list[tuple[IdentityKind, str]] = []
    for n, identifier in enumerate(event.identifiers):
        try:
            value = normalise_identity(identifier.kind, identifier.value, phone_region=phone_region)
            identifiers.append((identifier.kind, value))
        except InvalidIdentity as exc:
            raise _bad_input(_path(prefix, "identifiers", n, "value"), str(exc)) from None
    if event.query is not None and event.type is not EventType.SEARCH:
        raise _bad_input(_path(prefix, "query"), "only a search event carries a query")
    _check_order_fields(event, prefix)
    if event.result_count is not None and event.type is not EventType.SEARCH:
        raise _bad_input(_path(prefix, "resultCount"), "only a search event carries a resultCount")
    if event.amount is not None and event.type is not EventType.PURCHASE:
        raise _bad_input(_path(prefix, "amount"), "only a purchase event carries an amount")
    return ChannelEvent(
        id=event.id,
        type=event.type,
        at=_timestamp(event.at, _path(prefix, "at")),
        identifiers=tuple(identifiers),
        sku=event.sku,
        store_id=event.store_id,
        device_id=event.device_id,
        query=event.query,
        notes=event.notes,
        order_id=event.order_id,
        status=event.status,
        result_count=event.result_count,
        outcome=event.outcome,
        amount=event.amount,
    )


def _check_order_fields(event: _Event, prefix: str) -> None:
    if event.type is EventType.ORDER_STATUS:
        for name, value in (("orderId", event.order_id), ("status", event.status)):
            if value is None:
                raise _bad_input(_path(prefix, name), "an order_status event requires it")
    elif event.order_id is not None or event.status is not None:
        name = "orderId" if event.order_id is not None else "status"
        raise _bad_input(_path(prefix, name), "only an order_status event carries it")


def parse_events(body: bytes, *, phone_region: str = DEFAULT_PHONE_REGION) -> ParsedBatch:
    """One event object or ``{"events": [...]}`` (1 to 500), validated and normalised; else 400.

    A phone written without its country code is read in ``phone_region``.
    """
    try:
        document: Any = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _bad_input("body", f"is not valid JSON ({exc})") from None
    if not isinstance(document, dict):
        raise _bad_input("body", 'must be an event object or {"events": [...]}')
    if "events" not in document:
        return ParsedBatch(
            events=(_event(document, "", phone_region),), batched=False, positions=(0,)
        )
    extra = sorted(set(document) - {"events"})
    if extra:
        raise _bad_input(extra[0], "is not a field of a batch (only events)")
    raw_events = document["events"]
    if not isinstance(raw_events, list) or not 1 <= len(raw_events) <= MAX_EVENTS:
        raise _bad_input("events", f"must be a list of 1 to {MAX_EVENTS} events")
    events: list[ChannelEvent] = []
    positions: list[int] = []
    rejected: list[RejectedEvent] = []
    for n, raw in enumerate(raw_events):
        try:
            events.append(_event(raw, f"events[{n}]", phone_region))
            positions.append(n)
        except WebhookRefused as exc:
            rejected.append(RejectedEvent(n, _raw_id(raw), exc.code, exc.message))
    return ParsedBatch(events=events, batched=True, positions=positions, rejected=rejected)


def _raw_id(raw: object) -> str | None:
    """The id a refused event carries, if it carries one that is a string."""
    event_id = raw.get("id") if isinstance(raw, dict) else None
    return event_id[:128] if isinstance(event_id, str) else None


async def _read_body(request: web.Request) -> bytes:
    too_large = WebhookRefused(413, "PAYLOAD_TOO_LARGE", f"the body exceeds {MAX_BODY_BYTES} bytes")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise too_large
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise too_large from None
    if len(body) > MAX_BODY_BYTES:
        raise too_large
    return body


# The answer to a signed request posted again as it was, once its first post was taken.
REPLAYED = {
    "duplicate": True,
    "message": "this signed request was already taken: nothing was applied again",
}


async def _accept(request: web.Request, channel: str) -> IngestResult | None:
    """What the request's batch did; ``None`` for a replay of a request already taken."""
    if channel not in INGEST_CHANNELS:
        raise WebhookRefused(404, "NOT_FOUND", f"no webhooks for channel {channel!r}")
    body = await _read_body(request)
    settings = request.app[SETTINGS]
    try:
        check_signature(
            settings.webhook_keys(channel),
            body,
            request.headers.get(SIGNATURE_HEADER),
            request.headers.get(TIMESTAMP_HEADER),
            tolerance_s=settings.webhook_timestamp_tolerance_s,
        )
    except SignatureRefused as exc:
        raise WebhookRefused(401, "UNAUTHENTICATED", str(exc)) from None
    seen = SeenRequests(request.app[REDIS])
    signature, timestamp = request.headers[SIGNATURE_HEADER], request.headers[TIMESTAMP_HEADER]
    tolerance_s = settings.webhook_timestamp_tolerance_s
    claim = await seen.claim(channel, signature, timestamp, tolerance_s=tolerance_s)
    if claim == "done":
        return None
    if claim == "pending":
        raise WebhookRefused(
            503,
            "SERVICE_UNAVAILABLE",
            "the same signed request is being processed now; send it again",
            retry_after_s=RETRY_AFTER_S,
        )
    try:
        result = await _ingest(request, channel, body)
    except BaseException:
        await seen.release(channel, signature)  # not taken: the same request may come again
        raise
    await seen.done(channel, signature)
    return result


async def _ingest(request: web.Request, channel: str, body: bytes) -> IngestResult:
    settings = request.app[SETTINGS]
    if request.content_type != "application/json":
        raise WebhookRefused(415, "UNSUPPORTED_MEDIA_TYPE", "the body must be application/json")
    batch = parse_events(body, phone_region=settings.phone_default_region)
    if not batch.events:
        return IngestResult(accepted=0, duplicates=0, rejected=tuple(batch.rejected))
    try:
        result = await ingest_events(
            request.app[GRAPH], channel, batch.events, settings.ingest_policy()
        )
    except IngestUnavailable as exc:
        log.warning("webhook not ingested", channel=channel, error=str(exc))
        raise WebhookRefused(
            503,
            "SERVICE_UNAVAILABLE",
            "the events could not be recorded now; nothing was written, send them again",
            retry_after_s=RETRY_AFTER_S,
        ) from None
    unknown = next((r for r in result.rejected if r.field is not None), None)
    if not batch.batched and unknown is not None and unknown.field is not None:
        # A lone event is the whole request: refused as such, as any lone bad event is.
        raise _bad_input(unknown.field, unknown.message)
    await publish_ingest(request.app, channel, result)
    # Ingest numbers the events it was given: back to their positions in the request.
    refused = [_in_request(batch, rejected) for rejected in result.rejected]
    in_order = sorted([*batch.rejected, *refused], key=lambda rejected: rejected.index)
    return replace(result, rejected=tuple(in_order))


def _in_request(batch: ParsedBatch, rejected: RejectedEvent) -> RejectedEvent:
    index = batch.positions[rejected.index]
    if rejected.field is None:
        return replace(rejected, index=index)
    message = f"{batch.path(index, rejected.field)}: {rejected.message}"
    return replace(rejected, index=index, message=message)


def _answer(result: IngestResult) -> dict[str, Any]:
    return {
        "accepted": result.accepted,
        "duplicates": result.duplicates,
        "erased": result.erased,
        "merged": result.merged,
        "conflicts": result.conflicts,
        "journeysOpened": result.journeys_opened,
        "journeysExtended": result.journeys_extended,
        "rejected": [
            {"index": r.index, "id": r.event_id, "code": r.code, "message": r.message}
            for r in result.rejected
        ],
    }


async def receive_webhook(request: web.Request) -> web.Response:
    """``POST /webhooks/{channel}``: what the batch did (``accepted``, ``duplicates``, ``merged``,
    ``conflicts``, ``journeysOpened``, ``journeysExtended``; ``erased`` and ``rejected``, the
    events not recorded, each with its index, id, code and reason), or a coded error."""
    channel = request.match_info["channel"]
    try:
        result = await _accept(request, channel)
        if result is None:
            log.info("webhook replayed", channel=channel)
            return web.json_response(REPLAYED)
        answer = _answer(result)
    except WebhookRefused as exc:
        log.warning("webhook refused", channel=channel, status=exc.status, reason=exc.message)
        body = {"error": {"code": exc.code, "message": exc.message}}
        headers = {} if exc.retry_after_s is None else {"Retry-After": str(exc.retry_after_s)}
        return web.json_response(body, status=exc.status, headers=headers)
    except Exception as exc:  # not the sender's fault: the contract's JSON, never a plain-text 500
        log.exception("webhook failed", channel=channel, error=f"{type(exc).__name__}: {exc}"[:500])
        return web.json_response(
            {"error": _INTERNAL | {"requestId": request[REQUEST_ID]}}, status=500
        )
    rejected = answer.pop("rejected")
    log.info("webhook ingested", channel=channel, **answer)
    if rejected:
        # Event ids and codes only: never an identifier of the batch (an erased one least of all).
        log.warning(
            "webhook events not recorded",
            channel=channel,
            events=[(r["index"], r["id"], r["code"]) for r in rejected],
        )
    return web.json_response(answer | {"rejected": rejected})


async def refuse_method(request: web.Request) -> web.Response:
    """Any method but POST on ``/webhooks/{channel}``: 405 with ``Allow: POST`` in the contract's
    coded JSON (aiohttp's own 405 is plain text, which a sender parsing the error cannot read)."""
    message = f"{request.method} is not accepted here: send the batch with POST"
    return web.json_response(
        {"error": {"code": "METHOD_NOT_ALLOWED", "message": message}},
        status=405,
        headers={"Allow": "POST"},
    )
