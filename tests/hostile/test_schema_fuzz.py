"""A property-based fuzz of the schema (hypothesis-graphql) against the production gateway.

Whatever document the fuzzer writes, valid for the schema or not, the answer is never a 5xx and
every error carries ``extensions.code`` with no Python internals in its text. Hypothesis runs in a
worker thread (it is synchronous); each request is sent on the test's event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC
from typing import Any

import hypothesis_graphql
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes

from resolvers import build_schema
from tests.conftest import Gateway
from tests.hostile._http import Raw, send

SCHEMA = build_schema().as_str()
LEAKS = ("Traceback", 'File "', "Error:", "neo4j", "Cypher", "object at 0x")


def check_answer(document: str, raw: Raw) -> None:
    assert raw.status < 500, (document, raw.status, raw.body)
    assert isinstance(raw.body, dict), (document, raw.body)
    for error in raw.errors:
        code = (error.get("extensions") or {}).get("code")
        assert code, (document, error)
        assert code != "INTERNAL", (document, error)
        assert not any(leak in error["message"] for leak in LEAKS), (document, error)


# Our own scalars, as any client would send them (and sometimes not quite: naive times, odd years).
SCALARS = {
    "DateTime": st.datetimes(timezones=st.sampled_from([UTC, None])).map(
        lambda moment: nodes.String(moment.isoformat())
    ),
    "JSON": st.just(nodes.String("{}")),
}


def fuzz(
    loop: asyncio.AbstractEventLoop,
    gateway: Gateway,
    strategy: st.SearchStrategy[Any],
    examples: int,
) -> Callable[[], None]:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(document=strategy)
    def run(document: Any) -> None:
        text = document if isinstance(document, str) else document.decode()
        future = asyncio.run_coroutine_threadsafe(
            send(gateway, body={"query": text}, headers={"Accept": "application/json"}), loop
        )
        check_answer(text, future.result(timeout=30))

    return run  # type: ignore[no-any-return]


async def test_fuzzed_queries_never_get_a_5xx_or_an_uncoded_error(
    production_gateway: Gateway,
) -> None:
    strategy = hypothesis_graphql.queries(SCHEMA, custom_scalars=SCALARS)
    loop = asyncio.get_running_loop()
    await asyncio.to_thread(fuzz(loop, production_gateway, strategy, 120))


async def test_fuzzed_invalid_documents_never_get_a_5xx_or_an_uncoded_error(
    production_gateway: Gateway,
) -> None:
    strategy = hypothesis_graphql.from_schema(
        SCHEMA, mode=hypothesis_graphql.Mode.NEGATIVE, custom_scalars=SCALARS
    )
    loop = asyncio.get_running_loop()
    await asyncio.to_thread(fuzz(loop, production_gateway, strategy, 60))


async def test_fuzzed_mutations_never_get_a_5xx_or_an_uncoded_error(
    production_gateway: Gateway,
) -> None:
    # Generated ids never name a seeded customer, cart or journey: these write nothing shared.
    strategy = hypothesis_graphql.mutations(SCHEMA, custom_scalars=SCALARS)
    loop = asyncio.get_running_loop()
    await asyncio.to_thread(fuzz(loop, production_gateway, strategy, 60))
