"""The body of ``POST /webhooks/{channel}`` read into validated, normalised channel events.

One event object or ``{"events": [...]}`` of 1 to 500: each event's shape (pydantic), timestamp
(ISO-8601 with a timezone, kept in UTC) and identifiers (normalised as :mod:`graph.identities`
does). In a batch an event that fails is rejected alone (listed with its index, id, code and the
field at fault, e.g. ``events[2].type: unknown event type 'foo'``); a lone one, or a body of the
wrong shape, is a 400 (:class:`~gateway.webhook_refusals.WebhookRefused`). This module reads no
header, writes nothing, and never puts an identifier's value in a message but the one refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from gateway.webhook_refusals import BAD_USER_INPUT, WebhookRefused, bad_input
from graph import IdentityKind, InvalidIdentity, normalise_identity
from graph.identities import DEFAULT_PHONE_REGION
from graph.ingest import ChannelEvent, EventType, RejectedEvent

MAX_EVENTS = 500


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
        raise bad_input(path, f"must be an ISO-8601 date-time with a timezone, got {value!r}")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before the first instant UTC can hold
        raise bad_input(path, f"is out of the range of dates, got {value!r}") from None


def _event(raw: object, prefix: str, phone_region: str) -> ChannelEvent:
    try:
        event = _Event.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise bad_input(_path(prefix, *first["loc"]), _describe(first)) from None
    identifiers: list[tuple[IdentityKind, str]] = []
    for n, identifier in enumerate(event.identifiers):
        try:
            value = normalise_identity(identifier.kind, identifier.value, phone_region=phone_region)
            identifiers.append((identifier.kind, value))
        except InvalidIdentity as exc:
            raise bad_input(_path(prefix, "identifiers", n, "value"), str(exc)) from None
    if event.query is not None and event.type is not EventType.SEARCH:
        raise bad_input(_path(prefix, "query"), "only a search event carries a query")
    _check_order_fields(event, prefix)
    if event.result_count is not None and event.type is not EventType.SEARCH:
        raise bad_input(_path(prefix, "resultCount"), "only a search event carries a resultCount")
    if event.amount is not None and event.type is not EventType.PURCHASE:
        raise bad_input(_path(prefix, "amount"), "only a purchase event carries an amount")
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
                raise bad_input(_path(prefix, name), "an order_status event requires it")
    elif event.order_id is not None or event.status is not None:
        name = "orderId" if event.order_id is not None else "status"
        raise bad_input(_path(prefix, name), "only an order_status event carries it")


def parse_events(body: bytes, *, phone_region: str = DEFAULT_PHONE_REGION) -> ParsedBatch:
    """One event object or ``{"events": [...]}`` (1 to 500), validated and normalised; else 400.

    A phone written without its country code is read in ``phone_region``.
    """
    try:
        document: Any = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise bad_input("body", f"is not valid JSON ({exc})") from None
    if not isinstance(document, dict):
        raise bad_input("body", 'must be an event object or {"events": [...]}')
    if "events" not in document:
        return ParsedBatch(
            events=(_event(document, "", phone_region),), batched=False, positions=(0,)
        )
    extra = sorted(set(document) - {"events"})
    if extra:
        raise bad_input(extra[0], "is not a field of a batch (only events)")
    raw_events = document["events"]
    if not isinstance(raw_events, list) or not 1 <= len(raw_events) <= MAX_EVENTS:
        raise bad_input("events", f"must be a list of 1 to {MAX_EVENTS} events")
    events: list[ChannelEvent] = []
    positions: list[int] = []
    rejected: list[RejectedEvent] = []
    for n, raw in enumerate(raw_events):
        try:
            events.append(_event(raw, f"events[{n}]", phone_region))
            positions.append(n)
        except WebhookRefused as exc:
            # Every refusal of an event's own content is a bad_input (a 400 when it is alone).
            rejected.append(RejectedEvent(n, _raw_id(raw), BAD_USER_INPUT, exc.message))
    return ParsedBatch(events=events, batched=True, positions=positions, rejected=rejected)


def _raw_id(raw: object) -> str | None:
    """The id a refused event carries, if it carries one that is a string."""
    event_id = raw.get("id") if isinstance(raw, dict) else None
    return event_id[:128] if isinstance(event_id, str) else None
