"""Plan the statements of the busiest paths before the first request needs them.

Neo4j plans a statement the first time it sees its text, and caches the plan. The home screen's
context statement is large: on a cold Neo4j its first run took 6-8 s on a busy 2-core host (the
plan; the same statement then took 0.2 s), the first cart change 4.5 s and the first name search
2.8 s. With the gateway's 10 s statement timeout, the first home screen after ``make up`` failed
with SERVICE_UNAVAILABLE. :func:`warm_up` runs each of these statements once for a customer id
no customer can hold (it does not pass the API's key check), so they match nothing and write
nothing, under a longer timeout of their own. Plans live in Neo4j, so an instance started beside
running ones finds them planned; a Neo4j restarted under running gateways is not covered.
"""

from __future__ import annotations

import asyncio
import time

import structlog

from graph import carts
from graph.context import ContextRequest, contexts
from graph.database import GraphDatabase
from graph.history import HistoryRequest
from graph.recommendations import RecommendationRequest
from graph.search import search_by_name

log = structlog.get_logger("parcours.warm_up")
# Not a key the API accepts (spaces), so no customer, cart or idempotency key can match it.
NOBODY = "warm-up: plans only"
_SKU = "warm-up: no product"
# How long Neo4j may take to answer ``RETURN 1`` before the warm-up is skipped.
_REACH_S = 2.0


async def warm_up(db: GraphDatabase, timeout_s: float) -> bool:
    """Run the busiest statements once, concurrently; True when every one answered.

    A Neo4j that does not answer a ping within 2 s is not waited for, and a failure (too slow) is
    logged and ignored: the requests will plan the statements themselves, as they did before.
    """
    started = time.perf_counter()
    planning = db.sharing(query_timeout_s=timeout_s)
    try:
        # A Neo4j that is down or hangs is the readiness check's to report: the start goes on.
        async with asyncio.timeout(_REACH_S):
            await planning.ping()
    except Exception as exc:  # any failure: the requests will plan the statements themselves
        log.warning(
            "statements not planned ahead: Neo4j did not answer",
            error=f"{type(exc).__name__}: {exc}"[:300],
        )
        return False
    changes = [
        carts.CartChange(operation, NOBODY, "web", NOBODY, sku=_SKU, quantity=1)
        for operation in ("add", "set", "remove", "clear")
    ]
    results = await asyncio.gather(
        contexts(
            planning,
            [ContextRequest(NOBODY, HistoryRequest(NOBODY, 1), RecommendationRequest(NOBODY, 1))],
        ),
        search_by_name(planning, "warm up", 1),
        *(carts.change_cart(planning, change) for change in changes),
        return_exceptions=True,
    )
    failed = [
        result
        for result in results
        if isinstance(result, BaseException) and not isinstance(result, carts.CustomerMissing)
    ]
    elapsed = round(time.perf_counter() - started, 2)
    if failed:
        log.warning(
            "statements not planned ahead; the first requests will plan them",
            seconds=elapsed,
            error=f"{type(failed[0]).__name__}: {failed[0]}"[:300],
        )
        return False
    log.info("statements planned", seconds=elapsed, statements=len(results))
    return True
