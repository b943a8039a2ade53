"""Logs are JSON lines, and every line a request logs carries its request id, which also comes
back in the X-Request-Id header and in error extensions."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import orjson
import pytest
import structlog

from gateway.logging import configure_logging
from tests.conftest import Gateway


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging("INFO", json=True, stream=stream, cache=False)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        structlog.reset_defaults()


async def test_log_lines_are_json_with_the_request_id(gateway: Gateway, json_logs: io.StringIO):
    async with gateway.session.post(
        f"{gateway.url}/graphql",
        json={"query": "{ customer(id: 12) { id } }"},
        headers={"X-Request-Id": "trace-abc-123"},
    ) as response:
        body = await response.json()
        assert response.headers["X-Request-Id"] == "trace-abc-123"
    assert body["errors"][0]["extensions"]["requestId"] == "trace-abc-123"

    lines = [orjson.loads(line) for line in json_logs.getvalue().splitlines() if line]
    mine = [line for line in lines if line.get("request_id") == "trace-abc-123"]
    # The access line only: a NOT_FOUND answers the caller, it is no fault of ours to log.
    assert [line["event"] for line in mine] == ["request"]
    access = mine[0]
    assert (access["status"], access["level"], access["path"]) == (200, "info", "/graphql")
    assert all(line.get("request_id") for line in lines if line["event"] == "request")


async def test_libraries_logging_through_the_standard_library_write_json_too(
    json_logs: io.StringIO,
):
    logging.getLogger("strawberry.execution").error("a library's complaint")
    [line] = [orjson.loads(line) for line in json_logs.getvalue().splitlines() if line]
    assert (line["event"], line["level"], line["logger"]) == (
        "a library's complaint",
        "error",
        "strawberry.execution",
    )


async def test_a_refused_request_carries_its_id_too(gateway: Gateway, json_logs: io.StringIO):
    async with gateway.session.put(f"{gateway.url}/graphql", data=b"{}") as response:
        assert response.status >= 400
        request_id = response.headers["X-Request-Id"]
    assert len(request_id) == 32
