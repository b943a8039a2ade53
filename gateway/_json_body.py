"""Which POST bodies GraphQL is read from: ``application/json``, in UTF-8.

Shared by the GraphQL view and the response cache that answers before it, so the cache never
serves a request the view refuses. No I/O here.
"""

from __future__ import annotations

from aiohttp import web

# The labels of UTF-8 in the WHATWG Encoding standard (what browsers and fetch decode as UTF-8).
_UTF8_LABELS = frozenset(
    {"utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8"}
)


def is_json_in_utf8(request: web.BaseRequest) -> bool:
    """True when ``request`` declares a body this endpoint reads: ``application/json``, with no
    ``charset`` or one naming UTF-8 (by any of its WHATWG labels, in any case).

    Example:
        >>> from aiohttp.test_utils import make_mocked_request
        >>> def declared(value: str) -> bool:
        ...     headers = {"Content-Type": value}
        ...     return is_json_in_utf8(make_mocked_request("POST", "/", headers=headers))
        >>> [declared(v) for v in ("application/json; charset=UTF8", "text/plain")]
        [True, False]
    """
    charset = (request.charset or "utf-8").strip().lower()
    return request.content_type == "application/json" and charset in _UTF8_LABELS
