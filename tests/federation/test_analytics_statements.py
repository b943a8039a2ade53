"""Analytics statements run once per request and window, and only for the figures asked for:
counted in Cypher round trips (``extensions.cypherRoundTrips``) over the known month of
tests/federation/test_analytics.py.
"""

from __future__ import annotations

import pytest

from tests.conftest import Gateway
from tests.federation import test_analytics as known_month
from tests.federation.conftest import Systems
from tests.federation.test_analytics import FROM, TO
from tests.federation.test_analytics_failures import open_oms_breaker

dataset = known_month.dataset

TWO_RESULTS = """query($from: DateTime!, $to: DateTime!) {
  a: analytics(from: $from, to: $to) {
    revenue { amount } transactions activeCarts { count } conversion { started } }
  b: analytics(from: $from, to: $to) {
    transactions conversionByPath { label } timeToConvert { converted } } }"""


async def test_figures_sharing_a_statement_read_it_once_per_request_however_they_are_asked(
    fed: Gateway, dataset: None
):
    body = await fed.query(TWO_RESULTS, {"from": FROM, "to": TO})

    assert "errors" not in body, body
    # one sales and one journeys statement, though two results of the window ask for each
    assert body["extensions"]["cypherRoundTrips"] == 2
    assert body["data"]["a"]["transactions"] == body["data"]["b"]["transactions"]
    assert body["data"]["a"]["conversion"] == {"started": 5}


@pytest.mark.parametrize(
    ("selection", "statements"),
    [
        ("transactions", 1),
        ("timeToConvert { converted }", 1),
        ("forcedContacts { totalCount }", 1),
        ("incidents { system }", 0),  # no system is degraded: no exposure to read
        ("from to", 0),
    ],
)
async def test_a_figure_not_asked_for_runs_no_statement(
    fed: Gateway, dataset: None, selection: str, statements: int
):
    body = await fed.query(
        "query($from: DateTime!, $to: DateTime!) { analytics(from: $from, to: $to) { "
        + selection
        + " } }",
        {"from": FROM, "to": TO},
    )

    assert "errors" not in body, body
    assert body["extensions"]["cypherRoundTrips"] == statements


INCIDENTS = """query($from: DateTime!, $to: DateTime!) { analytics(from: $from, to: $to) {
  a: incidents { system team breakerState recentFailures }
  b: incidents { customersAffected }
  c: incidents { cartValue { amount } } } }"""


async def test_a_degraded_system_is_listed_without_a_statement_and_its_exposure_read_once(
    fed: Gateway, systems: Systems, dataset: None
):
    await open_oms_breaker(fed, systems)
    listed = await fed.query(
        "query($from: DateTime!, $to: DateTime!) { analytics(from: $from, to: $to) { "
        "incidents { system team breakerState recentFailures } } }",
        {"from": FROM, "to": TO},
    )
    assert "errors" not in listed, listed
    assert [i["system"] for i in listed["data"]["analytics"]["incidents"]] == ["oms"]
    # the exposure (34 s on a million customers) is not read for what needs none of it
    assert listed["extensions"]["cypherRoundTrips"] == 0

    exposed = await fed.query(INCIDENTS, {"from": FROM, "to": TO})
    assert "errors" not in exposed, exposed
    assert exposed["data"]["analytics"]["b"][0]["customersAffected"] == 2
    assert exposed["extensions"]["cypherRoundTrips"] == 1
