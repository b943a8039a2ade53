"""Malformed bodies, content types and Accept headers: a coded 4xx JSON answer, never a 5xx."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import orjson
import pytest

from tests.conftest import Gateway
from tests.hostile._http import GRAPHQL_RESPONSE, CanaryWrite, landed, send

JSON = {"Content-Type": "application/json"}
QUERY = '{ product(sku: "FX-P1") { sku } }'

BAD_BODIES = {
    "not JSON": b"{query: nope",
    "a number": b"5",
    "null": b"null",
    "a string": b'"{ product(sku: \\"FX-P1\\") { sku } }"',
    "true": b"true",
    "an array (batching is off)": b'[{"query": "{ __typename }"}]',
    "an empty array": b"[]",
    "invalid UTF-8": b'{"query": "{ __typename }", "operationName": "\xff\xfe"}',
    "a lone surrogate": b'{"query": "{ product(sku: \\"\\ud800\\") { sku } }"}',
    "1e400": b'{"query": "{ __typename }", "variables": {"n": 1e400}}',
    "a 400-digit number": b'{"query": "{ __typename }", "variables": {"n": ' + b"9" * 400 + b"}}",
    "NaN": b'{"query": "{ __typename }", "variables": {"n": NaN}}',
    "Infinity": b'{"query": "{ __typename }", "variables": {"n": Infinity}}',
    "JSON nested 5,000 deep": b'{"query": "{ __typename }", "variables": {"n": '
    + b"[" * 5000
    + b"]" * 5000
    + b"}}",
    "query as a number": b'{"query": 5}',
    "query as an object": b'{"query": {"text": "{ __typename }"}}',
    "variables as an array": b'{"query": "{ __typename }", "variables": []}',
    "variables as a string": b'{"query": "{ __typename }", "variables": "{}"}',
    "operationName as a number": b'{"query": "{ __typename }", "operationName": 7}',
    "extensions as a list": b'{"query": "{ __typename }", "extensions": [1]}',
    "no query": b'{"variables": {}}',
    "a null query": b'{"query": null}',
    "an empty object": b"{}",
    "an empty body": b"",
    "trailing garbage": b'{"query": "{ __typename }"} {"query": "{ __typename }"}',
}


@pytest.mark.parametrize("media", ["application/json", GRAPHQL_RESPONSE])
@pytest.mark.parametrize("body", list(BAD_BODIES.values()), ids=list(BAD_BODIES))
async def test_a_malformed_body_is_a_coded_400_with_a_message(
    gateway: Gateway, body: bytes, media: str
) -> None:
    raw = await send(gateway, body=body, headers={**JSON, "Accept": media})
    assert raw.status == 400, raw.body
    assert raw.content_type == media
    assert raw.codes() == ["BAD_REQUEST"], raw.body
    assert raw.errors[0]["message"]
    assert raw.errors[0]["extensions"]["requestId"] == raw.headers.get("X-Request-Id"), raw.headers
    assert "data" not in raw.body


async def test_a_parse_error_is_a_400_under_graphql_response_json_and_a_200_under_json(
    gateway: Gateway,
) -> None:
    for media, status in ((GRAPHQL_RESPONSE, 400), ("application/json", 200)):
        raw = await send(gateway, body={"query": "{ product(sku: "}, headers={"Accept": media})
        assert raw.status == status, raw.body
        assert raw.codes() == ["GRAPHQL_PARSE_FAILED"]


async def test_a_validation_error_is_a_400_under_graphql_response_json_and_a_200_under_json(
    gateway: Gateway,
) -> None:
    for media, status in ((GRAPHQL_RESPONSE, 400), ("application/json", 200)):
        raw = await send(gateway, body={"query": "{ nope }"}, headers={"Accept": media})
        assert raw.status == status, raw.body
        assert raw.codes() == ["GRAPHQL_VALIDATION_FAILED"]
        assert raw.content_type == media


async def test_several_operations_need_an_operation_name_that_exists(gateway: Gateway) -> None:
    # Strawberry ran the first operation when none was named (the spec's GetOperation says it is
    # a request error), and an unknown name was a 400 even under application/json.
    document = "query First { a: __typename } query Second { b: __typename }"
    for operation_name in (None, "Third"):
        for media, status in ((GRAPHQL_RESPONSE, 400), ("application/json", 200)):
            raw = await send(
                gateway,
                body={"query": document, "operationName": operation_name},
                headers={"Accept": media},
            )
            assert raw.status == status, raw.body
            assert raw.codes() == ["BAD_REQUEST"]
            assert raw.body.get("data") is None
    named = await send(gateway, body={"query": document, "operationName": "Second"})
    assert named.status == 200
    assert named.body["data"] == {"b": "Query"}
    single = await send(gateway, body={"query": "query Only { __typename }"})
    assert single.body["data"] == {"__typename": "Query"}  # one operation needs no name


async def test_request_errors_made_by_the_view_carry_the_request_id(gateway: Gateway) -> None:
    """README: the request id is in every error's extensions.requestId, these included."""
    unknown_hash = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    bodies = {
        "an unknown operation name": {"query": "query A { __typename }", "operationName": "B"},
        "an unknown persisted query": {"extensions": unknown_hash},
    }
    for name, body in bodies.items():
        raw = await send(gateway, body=body, headers={"X-Request-Id": "request-id-in-errors"})
        [error] = raw.errors
        assert error["extensions"]["requestId"] == "request-id-in-errors", (name, raw.body)


async def test_a_field_error_is_a_200_with_data_under_graphql_response_json(
    gateway: Gateway,
) -> None:
    raw = await send(
        gateway,
        body={"query": '{ product(sku: "NO-SUCH-SKU") { sku } }'},
        headers={"Accept": GRAPHQL_RESPONSE},
    )
    assert raw.status == 200, raw.body
    assert raw.body["data"] == {"product": None}
    assert raw.codes() == ["NOT_FOUND"]


SIMPLE_REQUESTS = {
    "text/plain": "text/plain",
    "a form": "application/x-www-form-urlencoded",
    "multipart": "multipart/form-data; boundary=xyz",
    "JSON in Latin-1": "application/json; charset=iso-8859-1",
    "no content type": "",
}


@pytest.mark.parametrize("content_type", list(SIMPLE_REQUESTS.values()), ids=list(SIMPLE_REQUESTS))
async def test_a_csrf_shaped_post_is_a_415_and_its_mutation_never_lands(
    gateway: Gateway, canary: CanaryWrite, content_type: str
) -> None:
    document = canary.document()
    as_json = orjson.dumps({"query": document}).decode()
    part = 'Content-Disposition: form-data; name="query"'
    bodies = {
        "application/x-www-form-urlencoded": "query=" + document,
        "multipart/form-data; boundary=xyz": f"--xyz\r\n{part}\r\n\r\n{document}\r\n--xyz--\r\n",
    }
    body = bodies.get(content_type, as_json)
    headers = {"Content-Type": content_type} if content_type else {}
    raw = await send(gateway, body=body.encode(), headers=headers)
    assert raw.status == 415, raw.body
    assert raw.codes() == ["UNSUPPORTED_MEDIA_TYPE"]
    assert not await landed(gateway, canary)


async def test_the_canary_lands_when_sent_properly(gateway: Gateway, canary: CanaryWrite) -> None:
    """The control of the test above: the same mutation as JSON does write."""
    raw = await send(gateway, body={"query": canary.document()})
    assert raw.status == 200, raw.body
    assert raw.body["data"]["linkIdentity"]["outcome"] == "LINKED"
    assert await landed(gateway, canary)


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf8", "application/json;charset=UTF8", "application/json"],
)
async def test_json_whose_charset_names_utf8_by_another_label_is_served(
    gateway: Gateway, content_type: str
) -> None:
    """JSON is UTF-8 (RFC 8259): ``utf8`` is one of its WHATWG labels, and Python's, and some
    clients send it; refusing it with a 415 turned working clients away for a spelling."""
    raw = await send(
        gateway, body=orjson.dumps({"query": QUERY}), headers={"Content-Type": content_type}
    )
    assert raw.status == 200, raw.body
    assert raw.body["data"] == {"product": {"sku": "FX-P1"}}


async def _head(gateway: Gateway, target: str) -> bytes:
    """Everything a HEAD of ``target`` sends back, read to the end of the connection."""
    port = int(gateway.url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = f"HEAD {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n"
        writer.write((head + "Connection: close\r\n\r\n").encode())
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 15)
    finally:
        writer.close()
        await writer.wait_closed()


async def test_head_is_answered_as_get_is_without_a_body(
    gateway: Gateway, canary: CanaryWrite
) -> None:
    """RFC 9110 §9.3.2 (and aiohttp for its GET routes): HEAD gets GET's status and headers."""
    query = urlencode({"query": QUERY})
    got = await send(gateway, method="GET", params={"query": QUERY}, headers={"Accept": "*/*"})
    answer = await _head(gateway, f"/graphql?{query}")
    status, _, rest = answer.partition(b"\r\n")
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 200"), answer
    assert f"content-type: {got.content_type}".encode() in headers.lower(), answer
    assert body == b"", answer

    mutation = await _head(gateway, "/graphql?" + urlencode({"query": canary.document()}))
    assert mutation.startswith(b"HTTP/1.1 405"), mutation
    assert b"\r\nAllow: POST\r\n" in mutation, mutation
    assert mutation.endswith(b"\r\n\r\n"), mutation
    assert not await landed(gateway, canary)


async def test_a_mutation_over_get_is_a_405_with_allow_post_and_nothing_written(
    gateway: Gateway, canary: CanaryWrite
) -> None:
    raw = await send(
        gateway,
        method="GET",
        params={"query": canary.document()},
        headers={"Accept": "application/json"},
    )
    assert raw.status == 405, raw.body
    assert raw.headers["Allow"] == "POST"
    assert raw.codes() == ["METHOD_NOT_ALLOWED"]
    assert not await landed(gateway, canary)


async def test_a_query_over_get_is_served(gateway: Gateway) -> None:
    raw = await send(gateway, method="GET", params={"query": QUERY}, headers={"Accept": "*/*"})
    assert raw.status == 200, raw.body
    assert raw.body["data"] == {"product": {"sku": "FX-P1"}}


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_other_methods_are_a_405(gateway: Gateway, method: str) -> None:
    raw = await send(gateway, method=method, body={"query": QUERY})
    assert raw.status == 405
    assert raw.headers["Allow"] == "GET, HEAD, POST"
    assert raw.codes() == ["METHOD_NOT_ALLOWED"]


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "application/json;q=0"])
async def test_a_query_accepting_neither_json_media_type_is_a_406(
    gateway: Gateway, accept: str
) -> None:
    for method in ("POST", "GET"):
        raw = await send(
            gateway,
            method=method,
            body={"query": QUERY} if method == "POST" else None,
            params={"query": QUERY} if method == "GET" else None,
            headers={"Accept": accept},
        )
        assert raw.status == 406, (method, raw.body)
        assert raw.codes() == ["NOT_ACCEPTABLE"]


async def test_the_preferred_media_type_answers(gateway: Gateway) -> None:
    accept = f"application/json;q=0.5, {GRAPHQL_RESPONSE}"
    raw = await send(gateway, body={"query": QUERY}, headers={"Accept": accept})
    assert raw.status == 200
    assert raw.content_type == GRAPHQL_RESPONSE


@pytest.mark.parametrize(
    ("accept", "answered"),
    [
        ("application/json;q=0, */*", GRAPHQL_RESPONSE),
        ("application/json;q=0, application/*", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0, */*", "application/json"),
        ("*/*;q=0.5, application/json;q=0.1", GRAPHQL_RESPONSE),
        ("*/*", "application/json"),
        (f"*/*, {GRAPHQL_RESPONSE};q=0", "application/json"),
    ],
)
async def test_a_type_refused_by_name_is_not_served_through_a_wildcard(
    gateway: Gateway, accept: str, answered: str
) -> None:
    """RFC 9110 §12.5.1: the most specific range that matches a type gives its quality, so
    ``application/json;q=0`` refuses JSON whatever ``*/*`` allows."""
    raw = await send(gateway, body={"query": QUERY}, headers={"Accept": accept})
    assert raw.status == 200, raw.body
    assert raw.content_type == answered


def _oversized() -> bytes:
    return b'{"query": "{ __typename }", "variables": {"pad": "' + b"x" * 300_000 + b'"}}'


async def test_a_body_over_the_limit_is_a_413(gateway: Gateway) -> None:
    raw = await send(gateway, body=_oversized(), headers=JSON)
    assert raw.status == 413, raw.body
    assert raw.codes() == ["PAYLOAD_TOO_LARGE"]


async def test_a_chunked_body_over_the_limit_is_a_413(gateway: Gateway) -> None:
    body = _oversized()

    async def chunks():  # type: ignore[no-untyped-def]
        for start in range(0, len(body), 16_384):
            yield body[start : start + 16_384]

    async with gateway.session.post(
        f"{gateway.url}/graphql", data=chunks(), headers=JSON
    ) as response:
        # Sent without a length, so only the bytes read can tell the gateway it is too large.
        assert response.request_info.headers.get("Transfer-Encoding") == "chunked"
        assert "Content-Length" not in response.request_info.headers
        assert response.status == 413
        payload = await response.json()
    assert payload["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_body_over_the_app_wide_limit_is_a_413_too(gateway: Gateway) -> None:
    body = b'{"query": "{ __typename }", "variables": {"pad": "' + b"x" * 2_000_000 + b'"}}'
    raw = await send(gateway, body=body, headers=JSON)
    assert raw.status == 413
    assert raw.codes() == ["PAYLOAD_TOO_LARGE"]


BAD_GET_PARAMS = {
    "variables that are not JSON": {"query": QUERY, "variables": "{nope"},
    "variables as an array": {"query": QUERY, "variables": "[1]"},
    "variables as a number": {"query": QUERY, "variables": "5"},
    "extensions as a string": {"query": QUERY, "extensions": '"x"'},
    "no query": {"variables": "{}"},
}


@pytest.mark.parametrize("media", ["application/json", GRAPHQL_RESPONSE])
@pytest.mark.parametrize("params", list(BAD_GET_PARAMS.values()), ids=list(BAD_GET_PARAMS))
async def test_malformed_get_parameters_are_a_coded_400(
    gateway: Gateway, params: dict[str, str], media: str
) -> None:
    raw = await send(gateway, method="GET", params=params, headers={"Accept": media})
    assert raw.status == 400, raw.body
    assert raw.content_type == media
    assert raw.codes() == ["BAD_REQUEST"], raw.body


@pytest.mark.parametrize(("media", "status"), [("application/json", 200), (GRAPHQL_RESPONSE, 400)])
async def test_a_get_that_does_not_parse_or_validate_is_a_request_error(
    gateway: Gateway, media: str, status: int
) -> None:
    for query, code in (
        ("{ product(", "GRAPHQL_PARSE_FAILED"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
    ):
        raw = await send(gateway, method="GET", params={"query": query}, headers={"Accept": media})
        assert (raw.status, raw.content_type, raw.codes()) == (status, media, [code]), raw.body


async def test_a_get_may_pick_the_query_of_a_document_that_also_holds_a_mutation(
    gateway: Gateway, canary: CanaryWrite
) -> None:
    document = f"query Read {QUERY} {canary.document().replace('mutation', 'mutation Write', 1)}"
    read = await send(
        gateway,
        method="GET",
        params={"query": document, "operationName": "Read"},
        headers={"Accept": GRAPHQL_RESPONSE},
    )
    assert (read.status, read.body.get("data")) == (200, {"product": {"sku": "FX-P1"}}), read.body
    write = await send(
        gateway,
        method="GET",
        params={"query": document, "operationName": "Write"},
        headers={"Accept": GRAPHQL_RESPONSE},
    )
    assert (write.status, write.headers.get("Allow")) == (405, "POST"), write.body
    assert not await landed(gateway, canary)


@pytest.mark.parametrize("media", ["application/json", GRAPHQL_RESPONSE])
async def test_a_refused_credential_is_answered_in_the_media_type_asked_for(
    gateway: Gateway, media: str
) -> None:
    # The 401 (as the 429 and 503 of the same check) was application/json whatever the client
    # accepted, where every other answer of the endpoint is in the negotiated type.
    raw = await send(
        gateway, body={"query": QUERY}, headers={"Accept": media, "X-API-Key": "prc_" + "A" * 43}
    )
    assert (raw.status, raw.content_type, raw.codes()) == (401, media, ["UNAUTHENTICATED"])
