"""Argument checks shared by resolvers: bad input is refused before it reaches Cypher."""

from __future__ import annotations

import functools
import re

from graphql import (
    ArgumentNode,
    GraphQLError,
    ListValueNode,
    Node,
    ObjectValueNode,
    ValueNode,
    Visitor,
    parse,
    visit,
)

from graph import IdentityKind, InvalidIdentity, normalise_identity
from resolvers.errors import BadUserInput

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$")


def check_key(value: str, argument: str) -> str:
    """An entity key (customer id, SKU, store id): short, printable, no spaces."""
    if not _KEY.match(value):
        raise BadUserInput(f"`{argument}` is not a valid key: {value[:80]!r}", argument=argument)
    return value


_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:\-]{8,128}$")


def check_idempotency_key(value: str) -> str:
    """A client's idempotency key: 8 to 128 letters, digits or ``_.:-``."""
    if not _IDEMPOTENCY_KEY.match(value):
        raise BadUserInput(
            "`idempotencyKey` must be 8 to 128 letters, digits or `_.:-`",
            argument="idempotencyKey",
        )
    return value


def identity_value(kind: IdentityKind, value: str, phone_region: str) -> str:
    """An identifier ``value`` in its stored form (a phone without its country code read in
    ``phone_region``); BAD_USER_INPUT on ``value`` when it cannot be one of its kind."""
    try:
        return normalise_identity(kind, value, phone_region=phone_region)
    except InvalidIdentity as exc:
        raise BadUserInput(str(exc), argument="value") from exc


def literal_argument(error: GraphQLError) -> str | None:
    """The argument whose literal ``error`` (a validation error) is about, as ``fulfilment.type``
    for a member of an input object; ``None`` when it is about no argument's literal.

    graphql-core's messages name the value's type, not the argument ("Value 'NOPE' does not exist
    in 'Channel' enum."): the argument is found in the document, by where the value stands.

    Example:
        >>> from graphql import Source
        >>> source = Source('{ a(b: {c: NOPE}) }')
        >>> value = parse(source).definitions[0].selection_set.selections[0].arguments[0]
        >>> literal_argument(GraphQLError("bad", nodes=[value.value.fields[0].value]))
        'b.c'
    """
    node = error.nodes[0] if error.nodes else None
    if node is None or node.loc is None or not isinstance(node, ValueNode):
        return None
    for argument in _arguments(node.loc.source.body):
        if _holds(argument.value, node):
            return ".".join([argument.name.value, *_members(argument.value, node)])
    return None


@functools.lru_cache(maxsize=16)
def _arguments(body: str) -> tuple[ArgumentNode, ...]:
    """Every argument written in ``body``, read once for all its errors (graphql-core reports
    up to 100 per document)."""
    try:
        document = parse(body)
    except GraphQLError:
        return ()
    found: list[ArgumentNode] = []

    class _Collect(Visitor):
        def enter_argument(self, argument: ArgumentNode, *_: object) -> None:
            found.append(argument)

    visit(document, _Collect())
    return tuple(found)


def _holds(outer: Node, inner: Node) -> bool:
    return (
        outer.loc is not None
        and inner.loc is not None
        and outer.loc.start <= inner.loc.start
        and inner.loc.end <= outer.loc.end
    )


def _members(value: ValueNode, target: Node) -> list[str]:
    """The input object members from ``value`` down to ``target`` (list items add nothing)."""
    if isinstance(value, ObjectValueNode):
        for member in value.fields:
            if _holds(member.value, target):
                return [member.name.value, *_members(member.value, target)]
    if isinstance(value, ListValueNode):
        for item in value.values:
            if _holds(item, target):
                return _members(item, target)
    return []
