"""Every argument of the schema, given every bad value its type admits, as a client would send it.

Where ``test_schema_fuzz`` writes random documents and checks only that nothing 5xx or uncoded
comes back, this probe walks the schema (``build_schema()``), and for each argument of each query
and mutation field (and of each field below them that takes arguments) sends, one at a time in a
variable (a few fields side by side), and for a ``DateTime`` also written in the document as a
literal, the bad values of its type: wrong JSON types, empty, blank and huge strings, NUL and
control characters, malformed and foreign cursors, ``first`` of 0, -1 and huge, unknown ids and
ids of the wrong node kind, unknown and lower-case enum names, malformed or naive date-times,
non-positive and huge quantities, malformed emails and phones. The other arguments are valid,
so the refusal can only be about the probed one. What a client deserves:

- a coercion error (the variable's value is not of its type), or a literal failing validation,
  is a request error: 400 under
  ``application/graphql-response+json``; anything else is a 200 (the GraphQL-over-HTTP draft);
- every error carries a code other than INTERNAL and names the probed argument (its
  ``extensions.argument``, or the variable or argument in its message; a VERSION_CONFLICT names
  ``expectedVersion`` in ``extensions.argument``);
- a value the API cannot take is refused, not accepted; a refused mutation wrote nothing;
- the gateway logs no traceback and no error.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import orjson
import pytest
import structlog
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
    get_named_type,
)

from graph import GraphDatabase
from resolvers import build_schema
from tests.conftest import Gateway
from tests.hostile._http import GRAPHQL_RESPONSE, Raw, send
from tests.hostile._probe import first_cursors, new_probe_customer

SCHEMA = build_schema()._schema
HUGE_TEXT = "x" * 100_000
# Codes that may answer a bad value: the value refused, or naming nothing that exists.
ANSWERS = frozenset({"BAD_USER_INPUT", "NOT_FOUND", "VERSION_CONFLICT"})
# A bad value written in the document itself may also fail its validation.
LITERAL_ANSWERS = ANSWERS | {"GRAPHQL_VALIDATION_FAILED"}
# Arguments whose bad values are also sent as literals: a scalar's literal parser is not its value
# parser (a malformed DateTime literal was refused without naming its argument).
LITERAL_SCALARS = {"DateTime"}


@dataclass(frozen=True)
class Bad:
    """A bad value; ``refused``: the API must answer it with an error (else it may also take it,
    as an unknown id may be answered with null)."""

    label: str
    value: Any
    refused: bool = True


@dataclass(frozen=True)
class Probe:
    customer: str
    cart: str
    cart_version: int
    journey: str
    foreign_cursor: dict[str, str]  # a cursor of another list, per field name

    def valid(self, parent: str, field: str, name: str) -> Any:
        """A valid value for argument ``name`` of ``parent.field`` (the probed customer's)."""
        by_field = {
            ("Query", "product", "sku"): "FX-P1",
            ("Query", "store", "id"): "FX-ST-A",
            ("Query", "customer", "id"): self.customer,
            ("Query", "exportCustomer", "id"): self.customer,
            ("Mutation", "eraseCustomer", "id"): f"cus_probe_unknown_{uuid.uuid4().hex[:8]}",
            ("Query", "customerByIdentity", "value"): f"{self.customer}@example.test",
            ("Mutation", "linkIdentity", "value"): f"new-{uuid.uuid4().hex[:8]}@example.test",
            ("Mutation", "unlinkIdentity", "value"): f"{self.customer}@example.test",
        }
        by_name: dict[str, Any] = {
            "customerId": self.customer,
            "sku": "FX-P1",
            "storeId": "FX-ST-A",
            "storeIds": ["FX-ST-A"],
            "cartId": self.cart,
            "journeyId": self.journey,
            "kind": "EMAIL",
            "channel": "WEB",
            "purpose": "MARKETING",
            "granted": False,
            "idempotencyKey": f"probe-{uuid.uuid4().hex}",
            "quantity": 1,
            "first": 2,
            "expectedVersion": self.cart_version,
            "query": "Alice",
            "fulfilment": {"type": "DELIVERY"},
            "from": "2026-09-01T00:00:00+00:00",
            "to": "2026-10-01T00:00:00+00:00",
        }
        if (parent, field, name) in by_field:
            return by_field[(parent, field, name)]
        return by_name.get(name)

    def bad(self, parent: str, field: str, name: str, argument: GraphQLArgument) -> list[Bad]:
        named = get_named_type(argument.type)
        values = [Bad("null", None)] if isinstance(argument.type, GraphQLNonNull) else []
        if isinstance(_unwrap(argument.type), GraphQLList):
            values.append(Bad("not a list of objects", [{"x": 1}]))
            element = self.bad(parent, field, name, GraphQLArgument(named))
            return values + [Bad(f"[{b.label}]", [b.value], b.refused) for b in element]
        if isinstance(named, GraphQLEnumType):
            return [
                *values,
                Bad("an unknown name", "NOT_A_VALUE"),
                Bad("a lower-case name", next(iter(named.values)).lower()),
            ]
        if isinstance(named, GraphQLInputObjectType):
            return [
                *values,
                Bad("a string", "DELIVERY"),
                Bad("an unknown type", {"type": "DRONE"}),
                Bad("an unknown member", {"type": "DELIVERY", "drone": True}),
                Bad("collect without a store", {"type": "CLICK_AND_COLLECT"}),
                Bad("collect at no store", {"type": "CLICK_AND_COLLECT", "storeId": "NOPE-1"}),
                Bad("collect at a blank store", {"type": "CLICK_AND_COLLECT", "storeId": " "}),
                Bad("collect at a product", {"type": "CLICK_AND_COLLECT", "storeId": "FX-P1"}),
            ]
        assert isinstance(named, GraphQLScalarType), named
        return values + list(self._scalar(named.name, parent, field, name))

    def _scalar(self, scalar: str, parent: str, field: str, name: str) -> Iterator[Bad]:
        if scalar == "Boolean":
            yield from (Bad("a string", "yes"), Bad("a number", 1))
            return
        if scalar == "Int":
            yield from (Bad("a string", "ten"), Bad("a fraction", 1.5))
            yield Bad("beyond 32 bits", 2**31)
            if name == "expectedVersion":
                yield from (Bad("-1", -1), Bad("huge", 2**31 - 1))
            else:
                yield from (Bad("0", 0), Bad("-1", -1), Bad("huge", 2**31 - 1))
            return
        if scalar == "DateTime":
            yield from (
                Bad("a number", 1_700_000_000),
                Bad("a word", "yesterday"),
                Bad("the empty string", ""),
                Bad("month 13", "2026-13-01T00:00:00+00:00"),
                Bad("no offset", "2026-10-01T12:00:00"),
                Bad("a date", "2026-10-01"),
                Bad("year 0", "0000-01-01T00:00:00Z"),
                Bad("a NUL", "2026-10-01T12:00:00Z\x00"),
            )
            return
        assert scalar in {"String", "ID"}, scalar
        yield from (
            Bad("an object", {"a": 1}),
            Bad("the empty string", ""),
            Bad("whitespace", " \t "),
            Bad("100 kB", HUGE_TEXT),
            Bad("a NUL", "FX\x00P1"),
            Bad("control characters", "FX-P1\x1b[2J\x07"),
            # Whitespace in a name search is made one space: a line break in it is fine.
            Bad("a newline", "FX-P1\nFX-P2", refused=name != "query"),
        )
        if name == "after":
            yield from (
                Bad("not a cursor", "not-a-cursor"),
                Bad("base64 junk", base64.b64encode(b"\xff\x00junk").decode()),
                Bad(
                    "a cursor of another list",
                    self.foreign_cursor.get(field, self.foreign_cursor[""]),
                ),
            )
        elif name == "value":
            # An identifier for kind EMAIL (the valid kind the other argument gets).
            yield from (
                Bad("no at sign", "alice.example.com"),
                Bad("two at signs", "a@@example.com"),
                Bad("no domain", "alice@"),
            )
        elif name == "query":
            yield Bad("a pattern", ".*", refused=False)
        elif name == "idempotencyKey":
            yield Bad("too short", "abc")
        elif scalar == "ID" or name.endswith("Id"):
            yield Bad("an unknown id of the right shape", _unknown(name), refused=False)
            yield Bad("an id of another kind", _other_kind(name, self), refused=False)


def _unwrap(kind: Any) -> Any:
    return kind.of_type if isinstance(kind, GraphQLNonNull) else kind


def _unknown(name: str) -> str:
    tail = uuid.uuid4().hex[:10]
    if name in {"sku"}:
        return f"FX-NOPE-{tail}"
    if name in {"storeId", "storeIds"}:
        return f"FX-ST-NOPE-{tail}"
    if name == "journeyId":
        return f"jrn-nope-{tail}"
    if name == "cartId":
        return f"cart-nope-{tail}"
    return f"cus_nope_{tail}"


def _other_kind(name: str, probe: Probe) -> str:
    return probe.customer if name in {"sku", "storeId", "storeIds"} else "FX-P1"


@dataclass(frozen=True)
class Target:
    """One field with arguments, and the path from the root to it (valid literals on the way)."""

    root: str  # "query" or "mutation"
    parent: str
    field: str
    path: tuple[tuple[str, str], ...]  # (field, its literal arguments) down to the parent

    def document(
        self, args: dict[str, GraphQLArgument], inline: dict[str, str] | None = None
    ) -> str:
        """The probing document: each argument a variable, or the literal ``inline`` gives it."""
        inline = inline or {}
        declared = ", ".join(
            f"${name}: {argument.type}" for name, argument in args.items() if name not in inline
        )
        passed = ", ".join(f"{name}: {inline.get(name, '$' + name)}" for name in args)
        owner = SCHEMA.get_type(self.parent)
        assert isinstance(owner, GraphQLObjectType)
        returned = get_named_type(owner.fields[self.field].type)
        inner = f"{self.field}({passed})"
        if isinstance(returned, GraphQLObjectType):
            inner += " { __typename }"
        for step, literal in reversed(self.path):
            inner = f"{step}{literal} {{ {inner} }}"
        return f"{self.root} Probe{f'({declared})' if declared else ''} {{ {inner} }}"


def _literal(parent: str, field: str, args: dict[str, GraphQLArgument], probe: Probe) -> str:
    given = {
        name: probe.valid(parent, field, name)
        for name, argument in args.items()
        if isinstance(argument.type, GraphQLNonNull) and argument.default_value is Undefined
    }
    if not given:
        return ""
    text = ", ".join(
        f"{name}: {value}"
        if isinstance(get_named_type(args[name].type), GraphQLEnumType)
        else f'{name}: "{value}"'
        for name, value in given.items()
    )
    return f"({text})"


def targets(probe: Probe) -> list[Target]:
    found: list[Target] = []
    mutation = SCHEMA.mutation_type
    assert mutation is not None
    for name in mutation.fields:
        found.append(Target("mutation", "Mutation", name, ()))
    # Below Query: breadth first, each object type reached once, by its shortest path.
    seen = {"Query"}
    queue: list[tuple[str, tuple[tuple[str, str], ...]]] = [("Query", ())]
    while queue:
        parent, path = queue.pop(0)
        owner = SCHEMA.get_type(parent)
        assert isinstance(owner, GraphQLObjectType)
        for name, field in owner.fields.items():
            if field.args:
                found.append(Target("query", parent, name, path))
            returned = get_named_type(field.type)
            if isinstance(returned, GraphQLObjectType) and returned.name not in seen:
                if name.startswith("__") or (parent == "Query" and name == "searchCustomers"):
                    continue
                seen.add(returned.name)
                step = (name, _literal(parent, name, field.args, probe))
                queue.append((returned.name, (*path, step)))
    return found


@pytest.fixture
async def probe(graph: GraphDatabase, gateway: Gateway) -> Probe:
    """The probed customer, and a cursor of each kind of list: each list is given the history's
    cursor, and the history the journeys'."""
    held = await new_probe_customer(graph)
    cursors = await first_cursors(gateway, held.customer)
    foreign = {"history": cursors["journeys"], "": cursors["history"]}
    return Probe(held.customer, held.cart, held.cart_version, held.journey, foreign)


async def snapshot(graph: GraphDatabase, customer: str) -> list[str]:
    """What a refused mutation must leave as it was: every node within two hops of the probed
    customer (each mutation field probes a customer of its own), with its properties."""
    # The customer's cartLock included: a refused cart change is rolled back, lock and all.
    rows = await graph.read(
        """MATCH (c:Customer {id: $id})-[r*0..2]-(n)
           WITH DISTINCT n
           RETURN collect([labels(n), properties(n)]) AS around""",
        {"id": customer},
    )
    return sorted(repr(item) for item in rows[0]["around"])


def names(error: dict[str, Any], argument: str) -> bool:
    """The error names ``argument``: in ``extensions.argument`` (or a member of it, as in
    ``fulfilment.storeId``), or in the message (a coercion error names its variable); a
    VERSION_CONFLICT names ``expectedVersion`` in ``extensions.argument`` and says the current
    version."""
    extensions = error.get("extensions") or {}
    message = error.get("message", "")
    named = str(extensions.get("argument", ""))
    if extensions.get("code") == "VERSION_CONFLICT":
        return named == argument == "expectedVersion" and "currentVersion" in extensions
    return (
        named == argument
        or named.startswith(f"{argument}.")
        or any(quoted in message for quoted in (f"${argument}", f"'{argument}'"))
    )


def reached(data: Any, target: Target) -> bool:
    """The answer got down to the probed field (not a parent answered null without an error:
    a channel-backed field, availability say, when no channel system is running)."""
    for step, _ in target.path:
        if isinstance(data, list):
            data = data[0] if data else None
        if not isinstance(data, dict) or data.get(step) is None:
            return False
        data = data[step]
    return True


# A channel system failing: this gateway has none (tests/conftest.py points it at a port that
# refuses), so a channel-fed parent answers null with one of these and its fields never run.
UNREACHABLE = {"CHANNEL_UNAVAILABLE", "CHANNEL_TIMEOUT"}


def parent_failed(error: dict[str, Any], target: Target) -> bool:
    """The error is a channel-fed parent's (its path ends above the probed field)."""
    if (error.get("extensions") or {}).get("code") not in UNREACHABLE:
        return False
    steps = [step for step in error.get("path") or [] if isinstance(step, str)]
    parents = [step for step, _ in target.path]
    return len(steps) <= len(parents) and parents[: len(steps)] == steps


def verdict(
    raw: Raw, target: Target, argument: str, bad: Bad, answers: frozenset[str] = ANSWERS
) -> list[str]:
    """What is wrong with the answer to ``bad`` in ``argument`` (nothing: an empty list)."""
    wrong: list[str] = []
    if not isinstance(raw.body, dict):
        return [f"status {raw.status}, body {raw.body!r:.200}"]
    errors = [error for error in raw.errors if not parent_failed(error, target)]
    request_error = bool(errors) and all("path" not in error for error in errors)
    expected = 400 if request_error else 200
    if raw.status != expected:
        wrong.append(f"status {raw.status} (expected {expected})")
    if bad.refused and not errors and reached(raw.body.get("data"), target):
        wrong.append(f"accepted: {raw.body.get('data')!r:.200}")
    for error in errors:
        code = (error.get("extensions") or {}).get("code")
        if code not in answers:
            wrong.append(f"code {code}: {error.get('message')!r:.200}")
        elif not names(error, argument):
            wrong.append(f"{code} not naming `{argument}`: {error.get('message')!r:.200}")
    return wrong


async def probe_argument(
    gateway: Gateway, graph: GraphDatabase, probe: Probe, target: Target, name: str
) -> tuple[int, list[str]]:
    """Send each bad value of argument ``name`` of ``target``: how many, and what was wrong."""
    owner = SCHEMA.get_type(target.parent)
    assert isinstance(owner, GraphQLObjectType)
    args = owner.fields[target.field].args
    document = target.document(args)
    valid = {other: probe.valid(target.parent, target.field, other) for other in args}
    valid = {other: value for other, value in valid.items() if value is not None}
    failures: list[str] = []
    values = probe.bad(target.parent, target.field, name, args[name])
    mutation = target.root == "mutation"
    before = await snapshot(graph, probe.customer) if mutation else []
    as_literal = get_named_type(args[name].type).name in LITERAL_SCALARS
    others = {other: value for other, value in valid.items() if other != name}
    sends = [(bad, "", document, valid | {name: bad.value}, ANSWERS) for bad in values] + [
        (
            bad,
            " as a literal",
            target.document(args, {name: _literal_text(bad.value)}),
            others,
            LITERAL_ANSWERS,
        )
        for bad in values
        if as_literal
    ]
    for bad, how, text, variables, answers in sends:
        raw = await send(
            gateway,
            body={"query": text, "variables": variables},
            headers={"Accept": GRAPHQL_RESPONSE},
        )
        where = f"{target.parent}.{target.field}({name}: {bad.label}{how})"
        failures += [f"{where}: {problem}" for problem in verdict(raw, target, name, bad, answers)]
        data = raw.body.get("data") if isinstance(raw.body, dict) else None
        if not mutation:
            continue
        after = await snapshot(graph, probe.customer)
        if after != before and (data is None or data.get(target.field) is None):
            gone = sorted(set(before) - set(after))
            new = sorted(set(after) - set(before))
            failures.append(
                f"{where}: refused, but the graph changed: {gone!r:.300} -> {new!r:.300}"
            )
        before = after
    return len(sends), failures


def _literal_text(value: Any) -> str:
    """``value`` written as a GraphQL literal (a JSON string is a GraphQL string)."""
    return "null" if value is None else orjson.dumps(value).decode()


# Targets are probed side by side, this many at a time: each mutation target has a customer of
# its own (its snapshots see its own writes only), the queries only read the shared customer, and
# one target's values go one after another. One at a time, the probe took 30 to 90 s of a loaded
# host; many more at once and such a host's Neo4j times statements out.
TARGETS_AT_ONCE = 4


async def probe_target(
    gateway: Gateway, graph: GraphDatabase, probe: Probe, target: Target
) -> tuple[int, list[str]]:
    """Probe every argument of ``target``: how many values were sent, and what was wrong."""
    owner = SCHEMA.get_type(target.parent)
    assert isinstance(owner, GraphQLObjectType)
    own = probe
    if target.root == "mutation":  # a customer of its own, whatever the last one did
        held = await new_probe_customer(graph)
        own = replace(probe, customer=held.customer, cart=held.cart, journey=held.journey)
    sent, failures = 0, []
    for name in owner.fields[target.field].args:
        count, wrong = await probe_argument(gateway, graph, own, target, name)
        sent, failures = sent + count, failures + wrong
    return sent, failures


async def test_every_bad_argument_is_refused_with_a_code_naming_it(
    gateway: Gateway,
    graph: GraphDatabase,
    probe: Probe,
    caplog: pytest.LogCaptureFixture,
) -> None:
    at_once = asyncio.Semaphore(TARGETS_AT_ONCE)

    async def probed(target: Target) -> tuple[int, list[str]]:
        async with at_once:
            return await probe_target(gateway, graph, probe, target)

    with structlog.testing.capture_logs() as logs, caplog.at_level(logging.WARNING):
        answers = await asyncio.gather(*(probed(target) for target in targets(probe)))
    sent = sum(count for count, _ in answers)
    failures = [failure for _, wrong in answers for failure in wrong]
    assert any(entry.get("event") == "request" for entry in logs)  # the capture sees the gateway
    logged = [
        f"{entry.get('log_level')}: {entry.get('event')}"
        for entry in logs
        if entry.get("log_level") in {"error", "critical", "exception"} or "exc_info" in entry
    ] + [
        f"{record.levelname}: {record.getMessage()[:200]}"
        for record in caplog.records
        if record.exc_info or record.levelno >= logging.ERROR
    ]
    assert sent > 500  # every argument of the schema, about 550 values
    assert not failures + logged, "\n".join([f"{len(failures)} of {sent}", *failures, *logged])
