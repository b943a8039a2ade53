"""Analytics figures fail alone: a statement that fails or runs past its time nulls only the
figures it answers, each with a coded error at its own path, and the others are answered.

The known month of tests/federation/test_analytics.py (its dataset, webhooks and query). One
statement is made slow (counting for minutes) or failing by swapping its Cypher in
``graph.analytics`` for the gateways running in this process: Neo4j stops the slow one at the
statement timeout, as it stops the exposure statement of a million-customer graph. The healthy
figures are read first through ``fed`` (10 s per statement, as in every other test); the slow
request goes through a gateway beside it whose statements get 2 s (``neo4j_query_timeout_s``),
so each test waits 2 s, not 10, for a real Neo4j timeout. The other statements of that request
are the ones just read (their plans cached) on a month of a dozen customers: milliseconds each.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.services import free_port
from graph import analytics
from tests.conftest import Gateway, Services, running_gateway
from tests.federation import test_analytics as known_month
from tests.federation.conftest import BREAKER_TTL_S, Systems, federated_settings
from tests.federation.test_analytics import ANALYTICS, FROM, TO, WEBHOOKS, _post

dataset = known_month.dataset

# Counts for minutes: Neo4j stops it at the statement timeout.
SLOW = "UNWIND range(1, 4000000000) AS x RETURN count(x) AS n"
TIMEOUT_S = 2.0  # the impatient gateway's statement timeout (PARCOURS_NEO4J_QUERY_TIMEOUT_S)
SALES_FIGURES = ("revenue", "transactions", "activeCarts")
JOURNEY_FIGURES = ("conversion", "conversionByPath", "channelSwitches", "timeToConvert")


@pytest.fixture
async def impatient(fed: Gateway, services: Services, systems: Systems) -> AsyncIterator[Gateway]:
    """A gateway beside ``fed`` (same graph, Redis and systems, its own breakers) whose
    statements Neo4j stops at ``TIMEOUT_S``."""
    settings = federated_settings(
        services,
        systems,
        port=free_port(),
        channel_breaker_threshold=3,
        channel_breaker_ttl_s=BREAKER_TTL_S,
        neo4j_query_timeout_s=TIMEOUT_S,
    )
    async with running_gateway(settings) as gateway:
        yield gateway


async def _month(gateway: Gateway, *, post: bool = False) -> dict[str, Any]:
    """The known month's figures; ``post``: its webhook events posted first (idempotent)."""
    for channel, events in WEBHOOKS.items() if post else ():
        await _post(gateway, channel, events)
    return await gateway.query(ANALYTICS, {"from": FROM, "to": TO, "first": 10, "after": None})


def _answered(body: dict[str, Any], *failed: str) -> dict[str, Any]:
    found: dict[str, Any] = body["data"]["analytics"]
    return {name: value for name, value in found.items() if name not in failed}


def _failures(body: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """Each error by the field it is at: its code and the figure it names."""
    return {
        error["path"][-1]: (error["extensions"]["code"], error["extensions"].get("figure"))
        for error in body["errors"]
    }


async def open_oms_breaker(gateway: Gateway, systems: Systems) -> None:
    await systems.faults("oms", errorRate=1.0)
    for _ in range(4):  # the gateway opens a breaker after 3 failures
        await gateway.query(
            "query($sku: ID!) { product(sku: $sku) { availability { online } } }",
            {"sku": "SKU-00009"},
        )


async def test_incidents_past_the_statement_timeout_leave_every_other_figure_answered(
    fed: Gateway,
    impatient: Gateway,
    systems: Systems,
    dataset: None,
    monkeypatch: pytest.MonkeyPatch,
):
    healthy = await _month(fed, post=True)
    assert "errors" not in healthy, healthy
    await open_oms_breaker(impatient, systems)
    monkeypatch.setattr(analytics, "EXPOSURE", SLOW)

    body = await _month(impatient)

    # The degraded system is still listed; only what depends on it (one statement) is missing.
    [oms] = body["data"]["analytics"]["incidents"]
    assert (oms["system"], oms["team"], oms["breakerState"]) == (
        "oms",
        "order-management",
        "opened",
    )
    assert (oms["customersAffected"], oms["cartValue"]) == (None, None)
    assert _failures(body) == {
        "customersAffected": ("QUERY_TIMEOUT", "incidents"),
        "cartValue": ("QUERY_TIMEOUT", "incidents"),
    }, body["errors"]
    assert {tuple(error["path"][:3]) for error in body["errors"]} == {("analytics", "incidents", 0)}
    assert body["errors"][0]["extensions"]["timeoutSeconds"] == TIMEOUT_S
    assert _answered(body, "incidents") == _answered(healthy, "incidents")
    assert body["data"]["analytics"]["revenue"] == {"amount": 250.0, "currency": "EUR"}


async def test_journeys_past_the_statement_timeout_null_the_journey_figures_together_only(
    fed: Gateway, impatient: Gateway, dataset: None, monkeypatch: pytest.MonkeyPatch
):
    healthy = await _month(fed, post=True)
    assert "errors" not in healthy, healthy
    monkeypatch.setattr(analytics, "JOURNEYS", SLOW)

    body = await _month(impatient)

    found = body["data"]["analytics"]
    assert {name: found[name] for name in JOURNEY_FIGURES} == dict.fromkeys(JOURNEY_FIGURES)
    assert _failures(body) == dict.fromkeys(JOURNEY_FIGURES, ("QUERY_TIMEOUT", "journey figures"))
    assert _answered(body, *JOURNEY_FIGURES) == _answered(healthy, *JOURNEY_FIGURES)
    assert found["transactions"] == 5


async def test_a_failing_sales_statement_nulls_the_sales_figures_with_a_coded_error_only(
    fed: Gateway, dataset: None, monkeypatch: pytest.MonkeyPatch
):
    healthy = await _month(fed, post=True)
    assert "errors" not in healthy, healthy
    monkeypatch.setattr(analytics, "SALES", "UNWIND [0] AS zero RETURN 1 / zero AS revenue")

    body = await _month(fed)

    found = body["data"]["analytics"]
    assert {name: found[name] for name in SALES_FIGURES} == dict.fromkeys(SALES_FIGURES)
    assert _failures(body) == dict.fromkeys(SALES_FIGURES, ("INTERNAL", None))
    assert _answered(body, *SALES_FIGURES) == _answered(healthy, *SALES_FIGURES)
    assert found["conversion"] == {"started": 5, "converted": 4, "rate": 0.8}
