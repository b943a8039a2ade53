"""The search form of a customer's name: what name search compares, stored as ``searchName``.

Cypher in Neo4j Community cannot strip accents, so the graph keeps, next to ``displayName``,
its folded form computed here, and a search folds the typed text with the same function. Every
statement that writes a ``displayName`` writes ``searchName = fold_name(displayName)`` with it.
The rule is Unicode's compatibility caseless match without marks: NFKD (compatibility
decomposition: "ﬁ" is "fi", "é" is "e" + a combining accent), combining marks dropped, full case
folding ("ß" is "ss"), then a short table for the letters Unicode does not decompose but French
writes as two ("œ", "æ") and for the typographic apostrophe (U+2019, as "'"), and runs of spaces
made one. Letters with a stroke ("ø", "ł", "đ") have no decomposition either and stay as they
are. This module is pure: no Cypher, no I/O.
"""

from __future__ import annotations

import unicodedata

# Letters Unicode does not decompose (so NFKD leaves them whole) that French spells out.
_SPELLED_OUT = str.maketrans({"œ": "oe", "æ": "ae", "\u2019": "'"})


def _without_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def fold_name(text: str) -> str:
    """``text`` without case, accents or compatibility differences, spaces collapsed.

    Example:
        >>> fold_name("  Hélène  DUPRÉ ")
        'helene dupre'
        >>> fold_name("Œdipe Straße")
        'oedipe strasse'
    """
    # Marks go before and after case folding: folding may decompose a letter ("ΐ") and NFKD may
    # yield an upper-case one (U+210C, black-letter capital H, is "H").
    folded = _without_marks(_without_marks(text).casefold())
    return " ".join(folded.translate(_SPELLED_OUT).split())
