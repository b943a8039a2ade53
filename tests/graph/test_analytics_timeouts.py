"""Analytics statements that run past the statement timeout: a coded error that names the figure
and says what to do (QUERY_TIMEOUT), not an INTERNAL error saying nothing.

No analytics statement is slow on a test graph, so Neo4j's own timeout is reached with a statement
that counts for minutes, through the helper every analytics read goes through; and a stalled Neo4j
(SIGSTOP) lets the real ``analytics`` query reach the client's bound through a gateway.
"""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from graph import GraphDatabase, analytics
from tests.conftest import Gateway, Services, running_gateway
from tests.graph.test_database import wait_until_stopped

SLOW = "UNWIND range(1, 4000000000) AS x RETURN count(x) AS n"


async def test_a_statement_neo4j_stops_at_its_timeout_is_a_timeout_naming_the_figure(
    services: Services,
):
    db = GraphDatabase.connect(services.neo4j.config.uri, None, query_timeout_s=0.5)
    db.stall_grace_s = 60.0  # Neo4j's own timeout, not the client's bound, ends the statement
    try:
        with pytest.raises(analytics.StatementTimedOut) as caught:
            await analytics._read(db, "sales figures", SLOW, {})
        assert caught.value.figure == "sales figures"
        assert caught.value.timeout_s == 0.5
        assert await db.read("RETURN 1 AS ok") == [{"ok": 1}]
    finally:
        await db.close()


@pytest.fixture
async def impatient_gateway(services: Services, graph: GraphDatabase) -> AsyncIterator[Gateway]:
    """A gateway whose statements get 0.3 s (and the client's 2 s of grace on a stalled Neo4j)."""
    async with running_gateway(services.settings(neo4j_query_timeout_s=0.3)) as running:
        yield running


ANALYTICS = """query($from: DateTime!, $to: DateTime!) {
  analytics(from: $from, to: $to) { from to revenue { amount } conversion { started } } }"""


async def test_analytics_on_a_neo4j_that_does_not_answer_in_time_say_so_with_a_code(
    services: Services, impatient_gateway: Gateway
):
    window = {
        "from": datetime(2034, 1, 1, tzinfo=UTC).isoformat(),
        "to": datetime(2034, 2, 1, tzinfo=UTC).isoformat(),
    }
    pid = services.neo4j.running_pid()
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        wait_until_stopped(pid)
        body = await impatient_gateway.query(ANALYTICS, window)
    finally:
        os.kill(pid, signal.SIGCONT)

    window_asked = {"from": "2034-01-01T00:00:00+00:00", "to": "2034-02-01T00:00:00+00:00"}
    assert body["data"] == {"analytics": {**window_asked, "revenue": None, "conversion": None}}
    # Both statements time out; each nulls only its own figure, with its own error.
    failures = {
        tuple(error["path"]): (error["extensions"]["code"], error["extensions"]["figure"])
        for error in body["errors"]
    }
    assert failures == {
        ("analytics", "revenue"): ("QUERY_TIMEOUT", "sales figures"),
        ("analytics", "conversion"): ("QUERY_TIMEOUT", "journey figures"),
    }, body["errors"]
    first = body["errors"][0]
    assert first["extensions"]["timeoutSeconds"] == 0.3
    assert "ask for a shorter window" in first["message"]
