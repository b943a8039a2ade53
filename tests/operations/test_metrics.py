"""/metrics exposes each listed series after a few requests, in its own registry per app."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app
from gateway.metrics import METRICS
from tests.conftest import Gateway, Services, running_gateway

CUSTOMER = "query Profile($id: ID!) { customer(id: $id) { id displayName } }"


async def scrape(gateway: Gateway) -> dict[str, list[tuple[dict[str, str], float]]]:
    async with gateway.session.get(f"{gateway.url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = await response.text()
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return sum(v for found, v in samples.get(name, []) if labels.items() <= found.items())


async def test_metrics_count_operations_by_name_and_errors_by_code(services: Services, graph):
    async with running_gateway(services.settings(migrate_on_start=False)) as gateway:
        for _ in range(3):
            body = await gateway.query(CUSTOMER, {"id": "cus_does_not_exist"})
            assert body["data"]["customer"] is None
        await gateway.query("{ customer(id: 12) { id } }")  # unknown id
        await gateway.query('{ customer(id: "x") { nope } }')  # unknown field
        samples = await scrape(gateway)

    count = "parcours_graphql_request_duration_seconds_count"
    assert value(samples, count, operation="Profile", kind="query") == 3
    assert value(samples, count, operation="anonymous") == 2
    assert value(samples, "parcours_graphql_request_duration_seconds_bucket", le="+Inf") == 5
    assert value(samples, "parcours_graphql_errors_total", code="NOT_FOUND") == 4
    assert value(samples, "parcours_graphql_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 1
    assert value(samples, "parcours_subscriptions_open") == 0
    assert {labels["system"] for labels, _ in samples["parcours_channel_breaker_state"]} == {
        "webshop",
        "stores",
        "oms",
        "contact",
        "mobile",
    }
    assert value(samples, "parcours_channel_breaker_state") == 0  # all closed
    assert value(samples, "parcours_cache_lookups_total", cache="context", result="miss") == 4
    assert ({"cache": "context"}, 0.0) in samples["parcours_cache_hit_ratio"]
    assert value(samples, "parcours_pool_connections", pool="redis", state="max") > 0
    assert value(samples, "parcours_pool_connections", pool="neo4j", state="max") > 0
    assert "parcours_pool_connections" in samples
    assert any(
        labels == {"pool": "neo4j", "state": "in_use"}
        for labels, _ in samples["parcours_pool_connections"]
    )


async def test_operation_names_stay_bounded(services: Services, graph):
    settings = services.settings(migrate_on_start=False, metrics_max_operation_names=2)
    async with running_gateway(settings) as gateway:
        for name in ("First", "Second", "Third", "Fourth"):
            await gateway.query(f"query {name} {{ __typename }}")
        await gateway.session.post(
            f"{gateway.url}/graphql",
            json={"query": "query Q { __typename }", "operationName": "bad name; drop"},
        )
        samples = await scrape(gateway)

    count = "parcours_graphql_request_duration_seconds_count"
    names = {labels["operation"] for labels, _ in samples[count]}
    assert names == {"First", "Second", "other"}
    assert value(samples, count, operation="other") == 2


async def test_documents_that_do_not_validate_do_not_use_up_the_operation_names(
    services: Services, graph
):
    settings = services.settings(migrate_on_start=False, metrics_max_operation_names=2)
    async with running_gateway(settings) as gateway:
        for name in ("JunkOne", "JunkTwo"):
            body = await gateway.query(f"query {name} {{ nope }}")
            assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        for name in ("First", "Second"):
            await gateway.query(f"query {name} {{ __typename }}")
        samples = await scrape(gateway)

    count = "parcours_graphql_request_duration_seconds_count"
    assert value(samples, count, operation="First") == 1
    assert value(samples, count, operation="Second") == 1
    assert value(samples, count, operation="other") == 2


def test_each_app_has_its_own_registry(services: Services):
    # Apps are built, not started: the registries are what is under test.
    first = create_app(services.settings(migrate_on_start=False))
    second = create_app(services.settings(migrate_on_start=False))
    assert first[METRICS].registry is not second[METRICS].registry
    first[METRICS].observe_operation("Once", "query", 0.01, [])
    assert b'operation="Once"' in first[METRICS].exposition()
    assert b'operation="Once"' not in second[METRICS].exposition()
