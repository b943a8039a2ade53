"""Small helpers for statements run inside a transaction function (the repositories' own).

This module only runs what it is given: it never holds Cypher of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, LiteralString

import neo4j


async def one_row(
    tx: neo4j.AsyncManagedTransaction, query: LiteralString, params: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The single row ``query`` returns, as a dict; ``None`` when it returns none."""
    record = await (await tx.run(query, dict(params))).single()
    return record.data() if record else None
