"""``searchCustomers``: find customers by a part of their name, a page at a time.

Identifiers (email, phone, loyalty card) are found exactly by ``customerByIdentity``; this is the
fallback for a person who only gives a name. Searching names is reading personal data: it needs
``customer:read`` and ``pii:read``, and a restricted partner finds only the customers who granted
what it needs. It holds no Cypher (``graph.search`` does).
"""

from __future__ import annotations

import base64
import binascii
import unicodedata

import orjson
import strawberry

from graph.search import NameCursor, search_by_name
from resolvers.access.permissions import CustomerRead, PiiRead
from resolvers.context import Context
from resolvers.customers.types import Customer
from resolvers.errors import BadUserInput
from resolvers.pagination import Connection, Edge, check_first, page_info

MAX_MATCHES = 50
MIN_TEXT, MAX_TEXT = 2, 100


def encode_name_cursor(cursor: NameCursor) -> str:
    payload = orjson.dumps({"name": cursor.display_name, "id": cursor.id})
    return base64.urlsafe_b64encode(payload).decode()


def decode_name_cursor(cursor: str) -> NameCursor:
    refused = BadUserInput("`after` is not a cursor this API returned", argument="after")
    try:
        data = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        name, customer_id = data["name"], data["id"]
    except (binascii.Error, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise refused from exc
    if not isinstance(name, str) or not isinstance(customer_id, str):
        raise refused
    return NameCursor(display_name=name, id=customer_id)


def check_search_text(query: str) -> str:
    """``query`` with its runs of whitespace made one space; BAD_USER_INPUT when it is too short
    or too long, or holds a control character (a NUL, an escape: no name holds one).

    Example:
        >>> check_search_text("  Hélène \\n Dupont ")
        'Hélène Dupont'
    """
    text = " ".join(query.split())
    if not MIN_TEXT <= len(text) <= MAX_TEXT:
        raise BadUserInput(f"`query` must be {MIN_TEXT} to {MAX_TEXT} characters", argument="query")
    if any(unicodedata.category(character) == "Cc" for character in text):
        raise BadUserInput("`query` must not hold control characters", argument="query")
    return text


@strawberry.type
class CustomerSearchQueries:
    @strawberry.field(
        description="Customers whose name contains the text (any case, with or without accents: "
        "'helene' finds 'Hélène'), by name; for a person who gives only a name (identifiers: "
        "customerByIdentity) (`customer:read`, `pii:read`). `first`: 1 to 50.",
        permission_classes=[CustomerRead, PiiRead],
    )
    async def search_customers(
        self,
        info: strawberry.Info[Context, None],
        query: str,
        first: int = 10,
        after: str | None = None,
    ) -> Connection[Customer] | None:
        text = check_search_text(query)
        check_first(first, MAX_MATCHES)
        cursor = decode_name_cursor(after) if after is not None else None
        required = info.context.access.principal.required_consents
        page = await search_by_name(info.context.graph, text, first, cursor, required)
        edges = [
            Edge(
                cursor=encode_name_cursor(NameCursor(display_name=p.display_name, id=p.id)),
                node=Customer(profile=p),
            )
            for p in page.profiles
        ]
        return Connection(
            edges=edges,
            page_info=page_info(edges, page.has_next_page, cursor),
        )
