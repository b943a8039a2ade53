"""With a tracer provider, a request makes a server span, a client span per channel call and a
span per Cypher statement, all in one trace (the optional [otel] extra)."""

from __future__ import annotations

from urllib.parse import quote

import aiohttp
from aiohttp import web
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from gateway.app import create_app
from gateway.services import free_port
from graph import GraphDatabase
from tests.conftest import Services
from tests.federation.conftest import Systems, a_customer

CART = """
query Cart($id: ID!) {
  customer(id: $id) {
    cart { lines { unitPrice { amount } } }
    orders(first: 5) { edges { node { id } } }
  }
}
"""


async def test_a_request_is_traced_through_channels_and_cypher(
    services: Services, seeded: GraphDatabase, systems: Systems
):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    settings = services.settings(
        migrate_on_start=False,
        context_cache_enabled=False,  # a profile cached by another test would skip Neo4j
        port=free_port(),
        **systems.settings_urls(),
    )
    person = a_customer("email", cart=True)
    runner = web.AppRunner(create_app(settings, tracer_provider=provider))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", settings.port).start()
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"http://127.0.0.1:{settings.port}/graphql",
                json={"query": CART, "variables": {"id": person["id"]}},
            ) as response,
        ):
            body = await response.json()
    finally:
        await runner.cleanup()
    assert "errors" not in body, body

    spans = exporter.get_finished_spans()
    server = [s for s in spans if s.kind is SpanKind.SERVER]
    assert len(server) == 1
    trace_id = server[0].context.trace_id
    cypher = [s for s in spans if s.name.startswith("cypher ")]
    assert cypher
    assert all(s.attributes["db.system"] == "neo4j" for s in cypher)
    assert any("MATCH" in str(s.attributes["db.statement"]) for s in cypher)
    clients = [s for s in spans if s.kind is SpanKind.CLIENT and not s.name.startswith("cypher")]
    assert any(s.name == "GET" for s in clients)
    assert {s.context.trace_id for s in cypher + clients} == {trace_id}
    # Channel calls name customers in their paths and queries: the spans keep neither.
    assert any(s.attributes.get("http.url", "").endswith("/oms/orders") for s in clients), [
        dict(s.attributes or {}) for s in clients
    ]
    recorded = repr([(s.name, dict(s.attributes or {})) for s in spans])
    values = [person["id"], *(v for kind in person["identities"].values() for v in kind)]
    for personal in values:
        assert personal not in recorded
        assert quote(personal, safe="") not in recorded
