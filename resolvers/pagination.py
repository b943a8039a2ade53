"""Relay-style connections and opaque cursors for every list that can grow.

The cursor shape is ours (base64 of a small JSON document), so clients must treat it as opaque; a
cursor that does not decode is BAD_USER_INPUT, never an internal error.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime
from typing import Generic, Protocol, TypeVar

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


def encode_history_cursor(at: datetime, interaction_id: str) -> str:
    payload = orjson.dumps({"at": at.isoformat(), "id": interaction_id})
    return base64.urlsafe_b64encode(payload).decode()


def decode_history_cursor(cursor: str) -> HistoryCursor:
    refused = BadUserInput("`after` is not a cursor this API returned", argument="after")
    try:
        data = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        at = datetime.fromisoformat(data["at"])
        interaction_id = data["id"]
    except (binascii.Error, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise refused from exc
    if not isinstance(interaction_id, str) or at.tzinfo is None:
        raise refused
    return HistoryCursor(at=at, id=interaction_id)


def encode_interaction_cursor(position: HistoryPosition) -> str:
    """A customer history item's cursor: its time, its event's id and its channel."""
    payload = orjson.dumps(
        {"at": position.at.isoformat(), "id": position.event_id, "channel": position.channel}
    )
    return base64.urlsafe_b64encode(payload).decode()


def decode_interaction_cursor(cursor: str) -> HistoryPosition:
    """A customer history cursor; one without a channel (issued before the channel was part of
    it) pages on after every item of its time and id, as it did then."""
    decoded = decode_history_cursor(cursor)  # an object with a time and an id, or refused
    channel = orjson.loads(base64.urlsafe_b64decode(cursor.encode())).get("channel", "")
    if not isinstance(channel, str):
        raise BadUserInput("`after` is not a cursor this API returned", argument="after")
    return HistoryPosition(at=decoded.at, event_id=decoded.id, channel=channel)
