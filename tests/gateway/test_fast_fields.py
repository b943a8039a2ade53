"""The short path for plain data fields (resolvers/fast_fields.py) answers exactly as graphql-core.

Each case runs the same query on the same objects through Strawberry's own execution context and
through ``BasicFieldsExecutionContext``: the data and every error (message and path) must be the
same, and the short path must have built fewer resolve infos (it is taken). The gateway's own
answers go through it in every other test; ``test_naive_baseline`` compares them with the
baseline, which runs without it.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.permission import BasePermission
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from resolvers.fast_fields import BasicFieldsExecutionContext


@strawberry.enum
class Colour(Enum):
    RED = "red"
    BLUE = "blue"


class Deny(BasePermission):
    message = "not for you"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Inner:
    label: str


@strawberry.type
class Item:
    name: str
    note: str | None
    count: int
    colour: Colour
    inner: Inner
    maybe: Inner | None
    secret: str | None = strawberry.field(permission_classes=[Deny])

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()


class Row:
    """A source object: Strawberry's basic fields read its attributes."""

    def __init__(self, **values: Any) -> None:
        defaults: dict[str, Any] = {
            "name": "lamp",
            "note": None,
            "count": 2,
            "colour": Colour.RED,
            "inner": Row.inner_of("a"),
            "maybe": None,
            "secret": "s3cret",
        }
        self.__dict__.update({**defaults, **values})

    @staticmethod
    def inner_of(label: Any) -> Any:
        inner = Row.__new__(Row)
        inner.__dict__["label"] = label
        return inner


class Exploding:
    """An attribute that raises when read."""

    def __getattr__(self, name: str) -> Any:
        raise ValueError(f"cannot read {name}")


async def later(value: str) -> str:
    return value


CASES: dict[str, Callable[[], list[Any]]] = {
    "plain values": lambda: [Row(), Row(name="desk", note="oak", maybe=Row.inner_of("b"))],
    "null in a non-null leaf": lambda: [Row(), Row(name=None)],
    "a value the scalar refuses": lambda: [Row(count="many")],
    "a value the enum refuses": lambda: [Row(colour="green")],
    "an awaitable attribute": lambda: [Row(note=later("soon"))],
    "null in a non-null object": lambda: [Row(inner=None)],
    "an object that raises on read": lambda: [Row(maybe=Exploding())],
    "a leaf of a wrong type": lambda: [Row(inner=Row.inner_of(3.5))],
}

QUERY = """
{ items { name note count colour shout secret inner { label } maybe { label } } }
"""


def schema_with(
    rows: Callable[[], list[Any]], context_class: type[StrawberryGraphQLCoreExecutionContext]
) -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        def items(self) -> list[Item]:
            return rows()

    return strawberry.Schema(query=Query, execution_context_class=context_class)


def counting_infos(
    base: type[StrawberryGraphQLCoreExecutionContext],
) -> type[StrawberryGraphQLCoreExecutionContext]:
    """``base``, counting the resolve infos it builds (in the class's ``built``)."""

    class Counting(base):  # type: ignore[valid-type,misc]
        built = 0

        def build_resolve_info(self, *args: Any, **kwargs: Any) -> Any:
            Counting.built += 1
            return super().build_resolve_info(*args, **kwargs)

    return Counting


def outcome(result: Any) -> tuple[Any, list[tuple[str, list[Any] | None]]]:
    errors = sorted((error.message, error.path) for error in result.errors or [])
    return result.data, errors


@pytest.mark.parametrize("case", list(CASES))
async def test_the_short_path_answers_as_graphql_core(case: str):
    graphql_core, short_path = (
        counting_infos(StrawberryGraphQLCoreExecutionContext),
        counting_infos(BasicFieldsExecutionContext),
    )
    expected = await schema_with(CASES[case], graphql_core).execute(QUERY)
    answered = await schema_with(CASES[case], short_path).execute(QUERY)

    assert outcome(answered) == outcome(expected)
    assert short_path.built < graphql_core.built  # type: ignore[attr-defined]


async def test_plain_values_are_answered_and_fields_with_resolvers_still_run():
    answered = await schema_with(CASES["plain values"], BasicFieldsExecutionContext).execute(QUERY)

    assert answered.data is not None
    first, second = answered.data["items"]
    assert first["shout"] == "LAMP"
    assert second == {
        "name": "desk",
        "note": "oak",
        "count": 2,
        "colour": "RED",
        "shout": "DESK",
        "secret": None,
        "inner": {"label": "a"},
        "maybe": {"label": "b"},
    }
    assert [error.message for error in answered.errors or []] == ["not for you"] * 2
