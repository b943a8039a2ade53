"""Automatic Persisted Queries: a client sends its query's SHA-256; the text once, when unknown."""

import hashlib
import uuid
from typing import Any

import orjson
from redis.asyncio import Redis

from gateway.persisted_queries import PersistedQueries, redis_key
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


async def test_a_text_that_does_not_parse_or_validate_is_not_registered(gateway: Gateway):
    """As Apollo Server does: only a document that validates is kept (a week, in Redis), so
    garbage sent with its own hash neither fills Redis nor answers for that hash later."""
    nonce = uuid.uuid4().hex
    for text, code in (
        ("{ customer(id: # " + nonce, "GRAPHQL_PARSE_FAILED"),
        ("{ noSuchField } # " + nonce, "GRAPHQL_VALIDATION_FAILED"),
    ):
        digest = hashlib.sha256(text.encode()).hexdigest()
        _, refused, _ = await post(gateway, {"query": text, "extensions": extensions(digest)})
        assert refused["errors"][0]["extensions"]["code"] == code
        _, unknown, _ = await post(gateway, {"extensions": extensions(digest)})
        assert unknown["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND", code


async def test_the_texts_an_instance_keeps_are_bounded_in_characters(services: Services):
    """A text may be as long as a request body (256 KiB): 2,048 of them were half a gigabyte
    held by each instance. The in-process map also has a budget in characters."""
    redis = Redis.from_url(services.redis.config.url)
    registry = PersistedQueries(redis, ttl_s=60, known_max=2048, known_max_chars=1000)
    texts = [f"{{ __typename }} # {uuid.uuid4().hex} " + "x" * 400 for _ in range(3)]
    digests = [hashlib.sha256(text.encode()).hexdigest() for text in texts]
    try:
        for digest, text in zip(digests, texts, strict=True):
            await registry.register(digest, text)
        assert registry.known(digests[0]) is None  # the oldest went: 3 x ~450 > 1,000
        assert registry.known(digests[2]) == texts[2]
        await redis.delete(*(redis_key(digest) for digest in digests))
    finally:
        await redis.aclose()
