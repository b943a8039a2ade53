"""Relay pages of a customer's stitching records (conflicts, merges), cut by ``(at, id)``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar

from graph.identity_records import PageRequest, RecordPage
from resolvers.pagination import (
    Connection,
    Edge,
    check_first,
    decode_history_cursor,
    encode_history_cursor,
    page_info,
)


class _Dated(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def at(self) -> datetime: ...


R = TypeVar("R", bound=_Dated)
N = TypeVar("N")


def record_page_request(
    customer_id: str, first: int, after: str | None, max_page_size: int, list_name: str
) -> PageRequest:
    """The loader's key for this page; BAD_USER_INPUT for a bad ``first`` or ``after``."""
    size = check_first(first, max_page_size)
    cursor = decode_history_cursor(after, list_name) if after is not None else None
    return PageRequest(customer_id, size, cursor)


def record_connection(
    page: RecordPage[R], after: str | None, convert: Callable[[R], N], list_name: str
) -> Connection[N]:
    edges = [
        Edge(cursor=encode_history_cursor(record.at, record.id, list_name), node=convert(record))
        for record in page.items
    ]
    return Connection(edges=edges, page_info=page_info(edges, page.has_next_page, after))
