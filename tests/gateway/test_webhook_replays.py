"""A signed webhook request posted again as it was (a capture replayed within the timestamp
tolerance) is answered as a duplicate without reaching the graph; one that was not taken stays
retryable with its signature."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from neo4j.exceptions import ServiceUnavailable

from graph import GraphDatabase
from tests.conftest import Gateway
from tests.gateway.test_webhooks import (
    ALICE_EMAIL,
    event,
    ingested,
    signed_json,
    stored_ids,
    unique,
)

Json = dict[str, Any]
REPLAYED = {
    "duplicate": True,
    "message": "this signed request was already taken: nothing was applied again",
}


async def send(gateway: Gateway, body: bytes, headers: dict[str, str]) -> tuple[int, Json]:
    async with gateway.session.post(
        f"{gateway.url}/webhooks/web", data=body, headers=headers
    ) as response:
        return response.status, await response.json()


async def test_a_signed_request_posted_again_as_it_was_is_a_duplicate_not_applied_again(
    gateway: Gateway, graph: GraphDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = json.dumps(event(unique("replayed"), ALICE_EMAIL)).encode()
    headers = signed_json(body, "web")
    assert await send(gateway, body, headers) == (200, ingested(1, 0))

    async def must_not_run(self: GraphDatabase, work: object, **retries: float) -> None:
        raise AssertionError("a replay reached the graph")

    with monkeypatch.context() as patched:
        patched.setattr(GraphDatabase, "transaction", must_not_run)
        assert await send(gateway, body, headers) == (200, REPLAYED)
    # Signed again, as a sender's retry is, the same events are counted as duplicates.
    assert await send(gateway, body, signed_json(body, "web")) in [
        (200, ingested(0, 1)),
        (200, REPLAYED),  # signed within the same second: the very same request
    ]


async def test_a_request_refused_with_a_503_is_taken_when_posted_again_with_its_signature(
    gateway: Gateway, graph: GraphDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    lost = event(unique("retryable"), ALICE_EMAIL)
    body = json.dumps(lost).encode()
    headers = signed_json(body, "web")

    async def unreachable(self: GraphDatabase, work: object, **retries: float) -> None:
        raise ServiceUnavailable("Couldn't connect to 127.0.0.1:7687")

    with monkeypatch.context() as patched:
        patched.setattr(GraphDatabase, "transaction", unreachable)
        status, _ = await send(gateway, body, headers)
        assert status == 503
    assert await send(gateway, body, headers) == (200, ingested(1, 0))
    assert await stored_ids(graph, [lost["id"]]) == [lost["id"]]


async def test_two_posts_of_one_signed_request_at_once_apply_it_once(
    gateway: Gateway, graph: GraphDatabase
) -> None:
    """The second either finds the first taken (a duplicate) or still being processed: then it
    is told to post again (the first may yet fail), never applied alongside it."""
    body = json.dumps(event(unique("twice-at-once"), ALICE_EMAIL)).encode()
    headers = signed_json(body, "web")
    answers = await asyncio.gather(send(gateway, body, headers), send(gateway, body, headers))
    assert (200, ingested(1, 0)) in answers
    [other] = [answer for answer in answers if answer != (200, ingested(1, 0))]
    assert other in [(200, REPLAYED), (503, PENDING)]


PENDING = {
    "error": {
        "code": "SERVICE_UNAVAILABLE",
        "message": "the same signed request is being processed now; send it again",
    }
}
