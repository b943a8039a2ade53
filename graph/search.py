"""Find customers by name for people at a counter: a substring of the name, in any case and
with or without its accents.

The typed text and the stored name are compared folded (:func:`graph.names.fold_name`: "helene"
finds "Hélène", "DUPRE" finds "Dupré"); the name's folded form is ``Customer.searchName``,
written with ``displayName``. Pages are cut by ``(displayName, id)`` (keyset), so a customer
created while someone pages through is never seen twice. A caller who may only see customers who
granted some purposes (a restricted partner) gets only those: the consents are part of the
statement, so its pages are full and its cursors never stop on a customer it may not see. The
matches are read from the search names' text index (migration 10; ``CONTAINS`` cannot use a
range index) and the first by name kept, so a search costs what its matches cost, not what the
customers do: at a million customers, 4 ms for a name nobody has, 12 to 16 ms for one a thousand
customers share, 0.3 s for two letters a fifth of the names contain (bench/name_search.py). It
never builds Cypher from input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import LiteralString

from graph import _rows
from graph.customers import PROFILE_COLUMNS
from graph.database import GraphDatabase
from graph.models import CustomerProfile
from graph.names import fold_name

_SEARCH: LiteralString = (
    "MATCH (c:Customer) "
    "WHERE c.searchName CONTAINS $needle "
    "  AND ($afterName IS NULL OR c.displayName > $afterName "
    "       OR (c.displayName = $afterName AND c.id > $afterId)) "
    "  AND all(purpose IN $purposes WHERE EXISTS { "
    "    (c)-[:CONSENTED]->(:Consent {purpose: purpose, granted: true}) }) "
    "WITH c ORDER BY c.displayName, c.id LIMIT $limit "
    "RETURN " + PROFILE_COLUMNS + " ORDER BY displayName, id"
)


@dataclass(frozen=True, slots=True)
class NameCursor:
    """Where a page of name matches ended."""

    display_name: str
    id: str


@dataclass(frozen=True, slots=True)
class CustomerMatches:
    """One page of customers whose name contains the text, by name then id."""

    profiles: tuple[CustomerProfile, ...]
    has_next_page: bool


async def search_by_name(
    db: GraphDatabase,
    text: str,
    first: int,
    after: NameCursor | None = None,
    granted: frozenset[str] = frozenset(),
) -> CustomerMatches:
    """Customers whose folded name contains ``text`` folded (any case, any accents) and who
    granted every purpose in ``granted``; ``first + 1`` rows read. A text that folds to nothing
    (combining marks alone) matches nobody rather than everybody."""
    needle = fold_name(text)
    if not needle:
        return CustomerMatches(profiles=(), has_next_page=False)
    rows = await db.read(
        _SEARCH,
        {
            "needle": needle,
            "afterName": after.display_name if after else None,
            "afterId": after.id if after else None,
            "limit": first + 1,
            "purposes": sorted(granted),
        },
    )
    profiles = tuple(_rows.customer_profile(row) for row in rows)
    return CustomerMatches(profiles=profiles[:first], has_next_page=len(profiles) > first)
