"""Page-number pagination as the simulated systems do it: ``page`` (1-based) and ``pageSize``.

``pageSize`` defaults to 20 and is capped at 100; out-of-range or non-integer values are a 400 in
the system's own error shape. Every paginated list answers the same envelope,
``{"items": [...], "page": n, "pageSize": n, "total": n}``; a page past the end is empty, not an
error. Only the requested slice is ever rendered; this module must never sort or filter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

from simulators._errors import SimulatorError

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    """Which page of a list a client asked for.

    Example:
        >>> PageRequest(page=3, page_size=2).envelope(list("abcdefg"), lambda c: {"c": c})
        {'items': [{'c': 'e'}, {'c': 'f'}], 'page': 3, 'pageSize': 2, 'total': 7}
    """

    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @classmethod
    def from_query(cls, request: web.Request) -> PageRequest:
        return cls(
            page=bounded_int(request, "page", 1, 1, MAX_PAGE),
            page_size=bounded_int(request, "pageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
        )

    def envelope(self, items: Sequence[T], render: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
        start = (self.page - 1) * self.page_size
        return {
            "items": [render(item) for item in items[start : start + self.page_size]],
            "page": self.page,
            "pageSize": self.page_size,
            "total": len(items),
        }


def bounded_int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """The integer query parameter ``name`` (``default`` without it); a 400 outside
    ``low..high``."""
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise SimulatorError(
            400, "INVALID_PARAMETER", f"{name} must be an integer from {low} to {high}"
        )
    return value
