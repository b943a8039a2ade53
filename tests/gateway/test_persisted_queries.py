"""Automatic Persisted Queries: a client sends its query's SHA-256; the text once, when unknown."""

import hashlib
import uuid
from typing import Any

import orjson

from gateway.response_cache import HIT_HEADER
from graph import GraphDatabase
from tests.conftest import Gateway, Services, running_gateway
from tests.fixture_dataset import ALICE

# Unique per run: the session's gateways share one Redis, so no other test has registered it.
QUERY = "query Persisted($id: ID!) { customer(id: $id) { id displayName } } # " + uuid.uuid4().hex
DIGEST = hashlib.sha256(QUERY.encode()).hexdigest()


def extensions(digest: str = DIGEST, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": digest}}


async def post(gateway: Gateway, body: dict[str, Any]) -> tuple[int, dict[str, Any], Any]:
    async with gateway.session.post(f"{gateway.url}/graphql", json=body) as response:
        return response.status, await response.json(), response.headers


async def test_a_hash_is_unknown_until_its_text_registers_it_then_serves_post_and_get(
    gateway: Gateway,
):
    hash_only = {"extensions": extensions(), "variables": {"id": ALICE}}
    status, unknown, _ = await post(gateway, hash_only)
    assert status == 200
    [error] = unknown["errors"]
    assert error["message"] == "PersistedQueryNotFound"
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

    status, registered, _ = await post(gateway, {**hash_only, "query": QUERY})
    assert status == 200
    assert registered["data"]["customer"]["id"] == ALICE

    status, by_hash, _ = await post(gateway, hash_only)
    assert (status, by_hash["data"]) == (200, registered["data"])

    params = {
        "extensions": orjson.dumps(extensions()).decode(),
        "variables": orjson.dumps({"id": ALICE}).decode(),
    }
    async with gateway.session.get(
        f"{gateway.url}/graphql", params=params, headers={"Accept": "application/json"}
    ) as response:
        assert response.status == 200
        assert (await response.json())["data"] == registered["data"]


async def test_a_hash_that_is_not_the_querys_is_refused_and_registers_nothing(gateway: Gateway):
    wrong = hashlib.sha256(b"something else" + uuid.uuid4().bytes).hexdigest()
    status, refused, _ = await post(
        gateway, {"query": QUERY, "extensions": extensions(wrong), "variables": {"id": ALICE}}
    )
    assert status == 400
    assert refused["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    _, unknown, _ = await post(gateway, {"extensions": extensions(wrong)})
    assert unknown["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_malformed_persisted_query_extension_is_a_bad_request(gateway: Gateway):
    for bad in (extensions(version=2), extensions(digest="ABC"), {"persistedQuery": "yes"}):
        status, refused, _ = await post(gateway, {"query": QUERY, "extensions": bad})
        assert status == 400, bad
        assert refused["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_text_registered_through_one_instance_serves_another(
    services: Services, graph: GraphDatabase
):
    query = "query Elsewhere($id: ID!) { customer(id: $id) { id } } # " + uuid.uuid4().hex
    digest = hashlib.sha256(query.encode()).hexdigest()
    variables = {"id": ALICE}
    async with (
        running_gateway(services.settings()) as first,
        running_gateway(services.settings()) as second,
    ):
        _, registered, _ = await post(
            first, {"query": query, "extensions": extensions(digest), "variables": variables}
        )
        _, by_hash, _ = await post(
            second, {"extensions": extensions(digest), "variables": variables}
        )
    assert by_hash["data"] == registered["data"] == {"customer": {"id": ALICE}}


async def test_a_persisted_query_is_answered_from_the_response_cache(
    services: Services, graph: GraphDatabase
):
    query = "query Cached($id: ID!) { customer(id: $id) { id displayName } } # " + uuid.uuid4().hex
    digest = hashlib.sha256(query.encode()).hexdigest()
    hash_only = {"extensions": extensions(digest), "variables": {"id": ALICE}}
    async with running_gateway(services.settings(response_cache_enabled=True)) as cached:
        await post(cached, {**hash_only, "query": query})
        _, first, first_headers = await post(cached, hash_only)
        _, second, second_headers = await post(cached, hash_only)
    assert first_headers[HIT_HEADER] == "hit"  # the text's answer, cached when it registered
    assert second_headers[HIT_HEADER] == "hit"
    assert first["data"]["customer"]["id"] == ALICE
    assert second["data"] == first["data"]


async def test_a_hash_sent_over_get_with_accept_any_runs_the_query_not_graphiql(
    gateway: Gateway,
):
    """Apollo Client 3 (``useGETForHashedQueries``), fetch and curl send ``Accept: */*``: a GET
    that names a persisted query is an operation, not a browser asking for the IDE."""
    query = "query ByGet($id: ID!) { customer(id: $id) { id } } # " + uuid.uuid4().hex
    digest = hashlib.sha256(query.encode()).hexdigest()
    await post(gateway, {"query": query, "extensions": extensions(digest), "variables": {}})
    params = {
        "extensions": orjson.dumps(extensions(digest)).decode(),
        "variables": orjson.dumps({"id": ALICE}).decode(),
    }
    async with gateway.session.get(
        f"{gateway.url}/graphql", params=params, headers={"Accept": "*/*"}
    ) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        assert (await response.json())["data"] == {"customer": {"id": ALICE}}
