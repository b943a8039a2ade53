"""Strawberry's built-in scalars, where a literal refused by one must say where it stands.

Strawberry's ``DateTime`` has no literal parser of its own: graphql-core parses a literal
through the value parser, whose refusal (a ``GraphQLError``) carries no node, and a validation
error without a node has no location and names no argument (``resolvers.validation``
finds the argument by where the value stands). Same name, description and parsers otherwise:
the schema text does not change. This module must not accept what Strawberry's scalar refuses.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from graphql import GraphQLError, ValueNode, value_from_ast_untyped
from strawberry.schema.types.base_scalars import DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition


def _parse_date_time_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
    parse_value = DateTimeDefinition.parse_value
    assert parse_value is not None  # noqa: S101 - Strawberry's DateTime has one
    try:
        return parse_value(value_from_ast_untyped(node, variables))
    except GraphQLError as error:
        raise GraphQLError(error.message, node) from None


DATE_TIME = dataclasses.replace(DateTimeDefinition, parse_literal=_parse_date_time_literal)

# For ``strawberry.Schema(scalar_overrides=...)``.
OVERRIDES: dict[object, ScalarDefinition] = {datetime.datetime: DATE_TIME}
