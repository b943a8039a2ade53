"""Logs are JSON lines, and every line a request logs carries its request id, which also comes
back in the X-Request-Id header and in error extensions."""

from __future__ import annotations

import asyncio
import io
import logging
import uuid
from collections.abc import Iterator

import aiohttp
import orjson
import pytest
import structlog
from aiohttp import web

from gateway.app import create_app
from gateway.logging import configure_logging
from tests.conftest import Gateway, Services


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
    assert (access["status"], access["level"], access["route"]) == (200, "info", "/graphql")
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


def _request_lines(stream: io.StringIO) -> list[dict[str, object]]:
    lines = [orjson.loads(line) for line in stream.getvalue().splitlines() if line]
    return [line for line in lines if line["event"] == "request"]


async def test_the_request_line_names_the_route_never_the_customer_id_in_the_path(
    gateway: Gateway, json_logs: io.StringIO
):
    customer_id = f"cus_private_{uuid.uuid4().hex[:12]}"
    async with gateway.session.get(
        f"{gateway.url}/admin/customers/{customer_id}/export",
        headers={"X-Request-Id": "export-request-1"},
    ) as response:
        assert response.status == 404  # no such customer: answered, not raised
    [line] = [
        line for line in _request_lines(json_logs) if line["request_id"] == "export-request-1"
    ]
    assert (line["method"], line["route"], line["status"]) == (
        "GET",
        "/admin/customers/{id}/export",
        404,
    )
    assert isinstance(line["ms"], float)
    assert customer_id not in json_logs.getvalue()


async def test_a_refused_request_is_logged_too_without_its_path(
    gateway: Gateway, json_logs: io.StringIO
):
    customer_id = f"cus_private_{uuid.uuid4().hex[:12]}"
    # No route matches: aiohttp raises 404 through the middleware instead of returning it.
    async with gateway.session.get(
        f"{gateway.url}/customers/{customer_id}", headers={"X-Request-Id": "unrouted-request-1"}
    ) as response:
        assert response.status == 404
    async with gateway.session.put(
        f"{gateway.url}/graphql", data=b"{}", headers={"X-Request-Id": "refused-request-1"}
    ) as response:
        refused = response.status
    assert refused >= 400
    by_id = {line["request_id"]: line for line in _request_lines(json_logs)}
    assert (by_id["unrouted-request-1"]["route"], by_id["unrouted-request-1"]["status"]) == (
        "unmatched",
        404,
    )
    assert (by_id["refused-request-1"]["route"], by_id["refused-request-1"]["status"]) == (
        "/graphql",
        refused,
    )
    assert customer_id not in json_logs.getvalue()


async def _fail(request: web.Request) -> web.Response:
    raise RuntimeError("a bug in a handler")


async def test_an_unhandled_error_is_logged_with_its_request_id_and_route_not_the_client_address(
    services: Services, json_logs: io.StringIO
):
    app = create_app(services.settings())
    app.router.add_get("/failing/{customer}", _fail)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"http://{host}:{port}/failing/cus_private_7",
                headers={"X-Request-Id": "failing-request-1"},
            ) as response,
        ):
            assert response.status == 500
            assert response.headers["X-Request-Id"] == "failing-request-1"
    finally:
        await runner.cleanup()

    text = json_logs.getvalue()
    lines = [orjson.loads(line) for line in text.splitlines() if line]
    [error] = [line for line in lines if line["level"] == "error"]
    assert (error["event"], error["request_id"], error["route"]) == (
        "unhandled error",
        "failing-request-1",
        "/failing/{customer}",
    )
    assert "RuntimeError: a bug in a handler" in error["exception"]
    assert host not in text  # the client's address is personal data
    assert "cus_private_7" not in text


async def test_a_request_aiohttp_cannot_parse_is_logged_without_the_client_address(
    gateway: Gateway, json_logs: io.StringIO
):
    host, port = gateway.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nno colon in this header\r\n\r\n")
        await writer.drain()
        assert (await reader.readline()).split()[1] == b"400"
        await reader.read()  # aiohttp closes the connection after an error
    finally:
        writer.close()
        await writer.wait_closed()

    text = json_logs.getvalue()
    lines = [orjson.loads(line) for line in text.splitlines() if line]
    assert [line["event"] for line in lines if line["level"] == "error"] == [
        "Error handling request"
    ]
    assert host not in text
