"""Limit bombs: each refused before any resolver runs (the canary inside never lands, no Cypher)."""

from __future__ import annotations

import pytest

from tests.conftest import Gateway
from tests.fixture_dataset import ALICE
from tests.hostile._http import GRAPHQL_RESPONSE, CanaryWrite, Raw, landed, send


def _payload_fragment(name: str, body: str) -> str:
    return f"fragment {name} on LinkIdentityPayload {{ {body} }}"


def deep(canary: CanaryWrite, levels: int) -> str:
    nested = "outcome " + "".join(f"n{k} {{ " for k in range(levels)) + "x" + " }" * levels
    return f"mutation {{ {canary.mutation.replace('{ outcome }', '{ ' + nested + ' }')} }}"


def aliases(canary: CanaryWrite, count: int) -> str:
    selection = " ".join(f"o{k}: outcome" for k in range(count))
    return f"mutation {{ {canary.mutation.replace('{ outcome }', '{ ' + selection + ' }')} }}"


def aliases_in_fragments(canary: CanaryWrite, count: int) -> str:
    halves = [" ".join(f"{name}{k}: outcome" for k in range(count // 2)) for name in "ab"]
    spread = canary.mutation.replace("{ outcome }", "{ ...A ...B }")
    return (
        f"mutation {{ {spread} }} "
        + _payload_fragment("A", halves[0])
        + " "
        + _payload_fragment("B", halves[1])
    )


def repeated(canary: CanaryWrite, count: int) -> str:
    return (
        f"mutation {{ {canary.mutation.replace('{ outcome }', '{ ' + 'outcome ' * count + '}')} }}"
    )


def circular(canary: CanaryWrite) -> str:
    spread = canary.mutation.replace("{ outcome }", "{ ...A }")
    return (
        f"mutation {{ {spread} }} "
        + _payload_fragment("A", "outcome ...B")
        + " "
        + _payload_fragment("B", "reason ...A")
    )


def exponential(canary: CanaryWrite, levels: int) -> str:
    spread = canary.mutation.replace("{ outcome }", "{ ...F0 }")
    chain = [_payload_fragment(f"F{k}", f"...F{k + 1} ...F{k + 1}") for k in range(levels)]
    chain.append(_payload_fragment(f"F{levels}", "outcome"))
    return f"mutation {{ {spread} }} " + " ".join(chain)


def root_fields(canary: CanaryWrite, count: int) -> str:
    fields = " ".join(f"r{k}: {canary.mutation}" for k in range(count))
    return f"mutation {{ {fields} }}"


BOMBS = {
    "nesting 40 deep": lambda c: deep(c, 40),
    "nesting 1,000 deep": lambda c: deep(c, 1000),
    "200 aliases": lambda c: aliases(c, 200),
    "200 aliases hidden in two fragments": lambda c: aliases_in_fragments(c, 200),
    "a field repeated 1,000 times": lambda c: repeated(c, 1000),
    "circular fragments": circular,
    "an exponential fragment chain 30 levels deep": lambda c: exponential(c, 30),
    "1,000 root fields": lambda c: root_fields(c, 1000),
    "25 root fields": lambda c: root_fields(c, 25),
}


def assert_refused_before_execution(raw: Raw) -> None:
    assert raw.status == 400, raw.body
    assert "data" not in raw.body
    assert raw.errors, raw.body
    assert set(raw.codes()) <= {"GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"}, raw.body


@pytest.mark.parametrize("bomb", list(BOMBS.values()), ids=list(BOMBS))
async def test_a_bomb_is_refused_and_the_mutation_inside_never_lands(
    gateway: Gateway, canary: CanaryWrite, bomb: object
) -> None:
    document = bomb(canary)  # type: ignore[operator]
    raw = await send(gateway, body={"query": document}, headers={"Accept": GRAPHQL_RESPONSE})
    assert_refused_before_execution(raw)
    assert raw.body.get("extensions", {}).get("cypherRoundTrips", 0) == 0
    assert not await landed(gateway, canary)


async def test_the_exponential_chain_is_named_by_its_expanded_size(
    gateway: Gateway, canary: CanaryWrite
) -> None:
    raw = await send(gateway, body={"query": exponential(canary, 30)})
    assert raw.errors[0]["extensions"]["limit"] == "fields"
    assert f"{2**30 + 1} fields" in raw.errors[0]["message"]  # the chain, and the payload field


async def test_each_limit_says_which_it_is(gateway: Gateway, canary: CanaryWrite) -> None:
    expected = {
        "nesting 40 deep": "depth",
        "200 aliases": "aliases",
        "a field repeated 1,000 times": "1001 fields",
        "1,000 root fields": "token",
        "25 root fields": "25 root fields",
    }
    for name, words in expected.items():
        raw = await send(gateway, body={"query": BOMBS[name](canary)})
        assert words in raw.errors[0]["message"].lower(), (name, raw.errors[0]["message"])


async def test_a_query_bomb_runs_no_cypher(gateway: Gateway) -> None:
    query = "{ " + " ".join(f'c{k}: customer(id: "{ALICE}") {{ id }}' for k in range(200)) + " }"
    raw = await send(gateway, body={"query": query})
    assert raw.status == 200
    assert raw.body["data"] is None
    assert raw.body["extensions"]["cypherRoundTrips"] == 0


async def test_the_same_mutation_within_the_limits_lands(
    gateway: Gateway, canary: CanaryWrite
) -> None:
    """The control: a canary in a document within every limit does write."""
    raw = await send(gateway, body={"query": aliases(canary, 10)})
    assert raw.status == 200, raw.body
    assert raw.body["data"]["linkIdentity"]["o9"] == "LINKED"
    assert await landed(gateway, canary)


HISTORY = (
    'query($first: Int!) { customer(id: "%s") '
    "{ history(first: $first) { edges { node { id } } } } }"
)


@pytest.mark.parametrize("first", [101, 10_000, 0, -1])
async def test_first_outside_1_to_the_cap_is_refused_as_bad_user_input(
    gateway: Gateway, first: int
) -> None:
    raw = await send(gateway, body={"query": HISTORY % ALICE, "variables": {"first": first}})
    assert raw.status == 200
    assert raw.body["data"]["customer"] == {"history": None}  # history is nullable (scopes)
    error = raw.errors[0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["max"] == 100
    assert error["path"] == ["customer", "history"]


async def test_first_beyond_a_32_bit_int_is_refused_as_a_variable_error(gateway: Gateway) -> None:
    raw = await send(
        gateway,
        body={"query": HISTORY % ALICE, "variables": {"first": 2**40}},
        headers={"Accept": GRAPHQL_RESPONSE},
    )
    assert raw.status == 400
    assert raw.codes() == ["BAD_USER_INPUT"]
    assert "32-bit" in raw.errors[0]["message"]


async def test_first_at_the_cap_is_served(gateway: Gateway) -> None:
    raw = await send(gateway, body={"query": HISTORY % ALICE, "variables": {"first": 100}})
    assert "errors" not in raw.body, raw.body
    assert raw.body["data"]["customer"]["history"]["edges"]
