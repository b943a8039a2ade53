"""``POST /webhooks/{channel}``: channel systems push their events here, signed with HMAC-SHA256.

Checks run in this order, and a request stops at the first that fails: the channel is one we ingest
(404), the body is at most 1 MiB (413), ``X-Parcours-Signature`` signs ``X-Parcours-Timestamp`` and
the raw body under the channel's secret, at a time within the tolerance of the gateway's clock
(401, :mod:`gateway.webhook_signatures`, checked before anything parses the body), the same
signed request not taken already (a replay within the tolerance is a 200 ``duplicate``, not
applied again: :mod:`gateway.webhook_replays`), the body is JSON
(415 for another content type) and has the shape of one event or ``{"events": [...]}`` of 1 to
500 (400 naming what is wrong). Then each event's shape, timestamp and identifiers
(:mod:`gateway.webhook_events`; refusals are :mod:`gateway.webhook_refusals`): in a batch,
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

from dataclasses import replace
from typing import Any

import structlog
from aiohttp import web

from gateway.realtime import publish_ingest
from gateway.state import GRAPH, REDIS, REQUEST_ID, SETTINGS
from gateway.webhook_events import MAX_EVENTS, ParsedBatch, parse_events
from gateway.webhook_refusals import RETRY_AFTER_S, WebhookRefused, bad_input
from gateway.webhook_replays import SeenRequests
from gateway.webhook_signatures import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureRefused,
    check_signature,
)
from graph.ingest import (
    INGEST_CHANNELS,
    IngestResult,
    IngestUnavailable,
    RejectedEvent,
    ingest_events,
)

# Where they were defined before the parsing and the refusals had modules of their own.
__all__ = [
    "MAX_BODY_BYTES",
    "MAX_EVENTS",
    "REPLAYED",
    "RETRY_AFTER_S",
    "ParsedBatch",
    "WebhookRefused",
    "parse_events",
    "receive_webhook",
    "refuse_method",
]

log = structlog.get_logger("parcours.webhooks")

MAX_BODY_BYTES = 1024 * 1024
# The answer to a failure that is not the sender's (a bug, Neo4j misconfigured): the cause is
# logged under the request id, never told.
_INTERNAL = {
    "code": "INTERNAL",
    "message": "the events may not have been recorded (an internal error, logged under requestId);"
    " sending them again is safe: an event already recorded counts as a duplicate",
}


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
        raise bad_input(unknown.field, unknown.message)
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
