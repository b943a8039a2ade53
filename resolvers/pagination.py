"""Relay-style connections and opaque cursors for every list that can grow.

The cursor shape is ours (base64 of a small JSON document), so clients must treat it as opaque; a
cursor that does not decode is BAD_USER_INPUT, never an internal error.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

import orjson
import strawberry
from strawberry.relay import PageInfo

__all__ = [
    "Connection",
    "Edge",
    "PageInfo",
    "check_first",
    "decode_history_cursor",
    "decode_interaction_cursor",
    "encode_history_cursor",
    "encode_interaction_cursor",
    "page_info",
]

from graph.models import HistoryCursor, HistoryPosition
from resolvers.errors import BadUserInput

T = TypeVar("T")


@strawberry.type(description="An item of a connection and the cursor that points at it.")
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of a list, in the Relay connection shape.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo


class _Cursored(Protocol):
    @property
    def cursor(self) -> str: ...


def page_info(edges: Sequence[_Cursored], has_next_page: bool, after: object) -> PageInfo:
    """The Relay page info of ``edges`` read forwards from ``after`` (``None``: the start)."""
    return PageInfo(
        has_next_page=has_next_page,
        has_previous_page=after is not None,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )


def check_first(first: int, cap: int) -> int:
    """``first`` if it is within ``1..cap``; BAD_USER_INPUT otherwise."""
    if first < 1 or first > cap:
        raise BadUserInput(
            f"`first` must be between 1 and {cap}, got {first}", argument="first", max=cap
        )
    return first


_NOT_OURS = "`after` is not a cursor this API returned"


def encode_history_cursor(at: datetime, item_id: str, list_name: str) -> str:
    """The cursor of the item at ``at`` with id ``item_id`` in the list ``list_name``.

    The list's name is part of it: every time-ordered list has cursors of this shape, and a
    position in one means nothing in another.

    Example:
        >>> from datetime import UTC
        >>> at = datetime(2026, 10, 1, tzinfo=UTC)
        >>> decode_history_cursor(encode_history_cursor(at, "j1", "journeys"), "journeys").id
        'j1'
        >>> decode_history_cursor(encode_history_cursor(at, "j1", "journeys"), "merges")
        Traceback (most recent call last):
        ...
        resolvers.errors.BadUserInput: `after` is a cursor of another list than merges
    """
    return _encode({"at": at.isoformat(), "id": item_id, "of": list_name})


def decode_history_cursor(cursor: str, list_name: str) -> HistoryCursor:
    """A cursor ``encode_history_cursor`` made for ``list_name``; BAD_USER_INPUT on ``after``
    otherwise. One without a list name (issued before the name was part of it) is taken."""
    data = _decode(cursor, list_name)
    try:
        at = datetime.fromisoformat(data["at"])
        item_id = data["id"]
    except (KeyError, TypeError, ValueError) as exc:
        raise BadUserInput(_NOT_OURS, argument="after") from exc
    if not isinstance(item_id, str) or at.tzinfo is None:
        raise BadUserInput(_NOT_OURS, argument="after")
    return HistoryCursor(at=at, id=item_id)


def encode_interaction_cursor(position: HistoryPosition) -> str:
    """A customer history item's cursor: its time, its event's id and its channel."""
    return _encode(
        {
            "at": position.at.isoformat(),
            "id": position.event_id,
            "channel": position.channel,
            "of": HISTORY,
        }
    )


def decode_interaction_cursor(cursor: str) -> HistoryPosition:
    """A customer history cursor; one without a channel (issued before the channel was part of
    it) pages on after every item of its time and id, as it did then."""
    decoded = decode_history_cursor(cursor, HISTORY)  # a time and an id, or refused
    channel = _decode(cursor, HISTORY).get("channel", "")
    if not isinstance(channel, str):
        raise BadUserInput(_NOT_OURS, argument="after")
    return HistoryPosition(at=decoded.at, event_id=decoded.id, channel=channel)


HISTORY = "history"


def _encode(payload: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode()


def _decode(cursor: str, list_name: str) -> dict[str, Any]:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, orjson.JSONDecodeError, ValueError) as exc:
        raise BadUserInput(_NOT_OURS, argument="after") from exc
    if not isinstance(data, dict):
        raise BadUserInput(_NOT_OURS, argument="after")
    if data.get("of", list_name) != list_name:
        raise BadUserInput(
            f"`after` is a cursor of another list than {list_name}", argument="after"
        )
    return data
