"""Relay pages over the channel systems' page-numbered lists (orders, tickets).

Cursors carry the offset of an item and the list it belongs to (``orders``, or ``tickets`` with
its status filter): an offset means nothing in another list, so a cursor given to another list (a
ticket cursor taken with ``status: OPEN`` and given with ``CLOSED`` or none) is refused, never read
as a position there. A page request maps to the system's ``page``/``pageSize`` and may return
fewer than ``first`` items when the offset is not a multiple of it (``hasNextPage`` stays exact).
"""

from __future__ import annotations

import base64
import binascii

from resolvers.errors import BadUserInput

# The systems page their lists up to page 1,000,000 (a 400 beyond): no cursor this API returned
# points further, and a forged one must be refused here, not sent to a system.
MAX_OFFSET = 999_999
ORDERS = "orders"
# Cursors before the lists were named (``o:<offset>``): they cannot say which list they came from.
_UNNAMED = "o"


def tickets_list(status: str | None) -> str:
    """The name of the tickets list of one status filter (``None``: every status).

    Example:
        >>> tickets_list("open"), tickets_list(None)
        ('tickets:open', 'tickets:all')
    """
    return f"tickets:{status or 'all'}"


def encode_offset(offset: int, list_name: str) -> str:
    """The cursor of the item at ``offset`` of the list ``list_name``.

    Example:
        >>> decode_offset(encode_offset(4, ORDERS), ORDERS)
        5
    """
    return base64.urlsafe_b64encode(f"{list_name}:{offset}".encode()).decode()


def decode_offset(cursor: str | None, list_name: str) -> int:
    """The offset just after ``cursor`` (0 without one) in the list ``list_name``."""
    if cursor is None:
        return 0
    try:
        named, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().rpartition(":")
        offset = int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadUserInput("`after` is not a cursor this API returned", argument="after") from exc
    if named == _UNNAMED:
        raise BadUserInput(
            "`after` is a cursor of an earlier version of this API; read from the first page",
            argument="after",
        )
    if named != list_name and (named == ORDERS or named.startswith("tickets:")):
        raise BadUserInput(
            "`after` is a cursor of another list (another field or `status`); read this one "
            "from its first page",
            argument="after",
        )
    if named != list_name or not 0 <= offset < MAX_OFFSET:
        raise BadUserInput("`after` is not a cursor this API returned", argument="after")
    return offset + 1


def page_window(offset: int, first: int) -> tuple[int, int, int]:
    """(page, page size, index in that page) to read items from ``offset`` on."""
    return offset // first + 1, first, offset % first
