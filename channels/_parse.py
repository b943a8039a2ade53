"""Small, strict readers for the JSON the channel systems send (shared by the system clients)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

Json = dict[str, Any]


class UnexpectedPayload(ValueError):
    """A system answered 2xx with a body we cannot read: a contract break. Its message describes
    the shape only, never a value of the body (values may name a customer).

    The channel client turns it into a :class:`channels._errors.ChannelUnavailable`: the system
    answering garbage is the system failing, as a body that is not JSON is."""


def as_dict(value: Any, what: str) -> Json:
    if not isinstance(value, dict):
        raise UnexpectedPayload(f"{what}: expected an object, got {type(value).__name__}")
    return value


def as_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise UnexpectedPayload(f"{what}: expected a list, got {type(value).__name__}")
    return value


def timestamp(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise UnexpectedPayload(f"{what}: expected an ISO-8601 string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise UnexpectedPayload(f"{what}: not an ISO-8601 time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
