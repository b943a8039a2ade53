"""Relay pages over the channel systems' page-numbered lists (orders, tickets).

Cursors carry the offset of an item; a page request maps to the system's ``page``/``pageSize``
and may return fewer than ``first`` items when the offset is not a multiple of it (``hasNextPage``
stays exact).
"""

from __future__ import annotations

import base64
import binascii

from resolvers.errors import BadUserInput

# The systems page their lists up to page 1,000,000 (a 400 beyond): no cursor this API returned
# points further, and a forged one must be refused here, not sent to a system.
MAX_OFFSET = 999_999


def encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def decode_offset(cursor: str | None) -> int:
    """The offset just after ``cursor`` (0 without one)."""
    if cursor is None:
        return 0
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        offset = int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadUserInput("`after` is not a cursor this API returned", argument="after") from exc
    if kind != "o" or not 0 <= offset < MAX_OFFSET:
        raise BadUserInput("`after` is not a cursor this API returned", argument="after")
    return offset + 1


def page_window(offset: int, first: int) -> tuple[int, int, int]:
    """(page, page size, index in that page) to read items from ``offset`` on."""
    return offset // first + 1, first, offset % first
