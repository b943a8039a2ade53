"""Execute plain data fields without building a resolve info for each (issue 7's fast path).

A home screen resolves about 95 fields, and most are *basic*: no resolver, no permission, no
argument; Strawberry reads the attribute of the parent object (its ``_get_basic_result``
ignores the info it is handed). graphql-core still builds a ``GraphQLResolveInfo`` for each,
wraps the value through the generic ``complete_value`` dispatch and checks it twice for
awaitables. Skipping that for these fields saves ≈ 3 % of the gateway's CPU on an uncached home
screen (bench/README.md, fifth session).

``BasicFieldsExecutionContext`` takes a shorter path for two kinds of basic fields, and hands
every other field (and every unusual value) to graphql-core unchanged:

- a **leaf** (scalar or enum, nullable or not): the attribute, coerced by the type's own
  ``coerce_output_value``;
- an **object** of a concrete type with no ``is_type_of`` check: its sub-selection executed on
  the attribute.

A ``None``, an awaitable, an exception or a value the scalar refuses goes through graphql-core's
own completion, with a real resolve info, so every error (its message, path and null
propagation) is the one graphql-core would give.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLObjectType,
    GraphQLOutputType,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.executor import to_nodes
from graphql.pyutils import AwaitableOrValue, Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class _Kind(Enum):
    SLOW = "slow"
    LEAF = "leaf"
    OBJECT = "object"


@dataclass(frozen=True, slots=True)
class _Plan:
    kind: _Kind
    named: Any = None  # the leaf or object type, without its non-null wrapper
    attribute: str = ""  # what Strawberry's basic resolver reads on the parent
    nullable: bool = True


_SLOW = _Plan(_Kind.SLOW)
_DEFINITION = "strawberry-definition"  # Strawberry's back-reference from a GraphQL field

# Where a field definition keeps its plan once worked out (in its own extensions, so it lives
# and dies with the schema).
_PLAN = "parcours-fast-fields-plan"


def _plan(field_def: GraphQLField) -> _Plan:
    """The short path only where Strawberry's own resolver would read an attribute with
    ``getattr`` and ignore the info: a basic field (no resolver, permission or extension, hence
    no argument either)."""
    strawberry_field = (field_def.extensions or {}).get(_DEFINITION)
    if (
        getattr(field_def.resolve, "__name__", "") != "_get_basic_result"
        or strawberry_field is None
        or strawberry_field.default_resolver is not getattr
    ):
        return _SLOW
    nullable = not is_non_null_type(field_def.type)
    named = get_nullable_type(field_def.type)
    if is_leaf_type(named):
        return _Plan(_Kind.LEAF, named, strawberry_field.python_name, nullable)
    if is_object_type(named) and named.is_type_of is None:
        return _Plan(_Kind.OBJECT, named, strawberry_field.python_name, nullable)
    return _SLOW


def _plan_of(field_def: GraphQLField) -> _Plan:
    extensions = field_def.extensions
    plan: _Plan | None = extensions.get(_PLAN)
    if plan is None:
        plan = extensions[_PLAN] = _plan(field_def)
    return plan


class BasicFieldsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with the short path for basic leaf and object fields."""

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        node = field_details_list[0].node
        field_def = self.schema.get_field(parent_type, node.name.value)
        middleware = self.middleware_manager
        if (
            field_def is None
            or (middleware is not None and middleware.middlewares)
            or (plan := _plan_of(field_def)) is _SLOW
        ):
            return super().execute_field(
                parent_type, source, field_details_list, path, position_context
            )
        try:
            result = getattr(source, plan.attribute)
            if result is None and plan.nullable:
                completed: Any = None
            elif not _plain(result) or self.is_awaitable(result):
                completed = _UNSETTLED
            elif plan.kind is _Kind.LEAF:
                completed = plan.named.coerce_output_value(result)
                if completed is None or completed is Undefined:
                    completed = _UNSETTLED
            else:
                completed = self.collect_and_execute_subfields(
                    plan.named, field_details_list, path, result, position_context
                )
                if self.is_awaitable(completed):
                    completed = self._settle(completed, field_def.type, field_details_list, path)
        except Exception as raw_error:
            self.handle_field_error(raw_error, field_def.type, field_details_list, path)
            return None
        if completed is _UNSETTLED:
            return self._complete_with_info(
                field_def, parent_type, field_details_list, path, result, position_context
            )
        return completed

    def _complete_with_info(  # noqa: PLR0917 (graphql-core's own argument order)
        self,
        field_def: GraphQLField,
        parent_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[Any]:
        """graphql-core's own completion of a value already resolved (what ``execute_field``
        does after calling the resolver), with a real resolve info: its errors exactly."""
        return_type = field_def.type
        info = self.build_resolve_info(field_def, to_nodes(field_details_list), parent_type, path)
        try:
            if self.is_awaitable(result):
                return self.complete_awaitable_value(
                    return_type, field_details_list, info, path, result, position_context
                )
            completed = self.complete_value(
                return_type, field_details_list, info, path, result, position_context
            )
            if self.is_awaitable(completed):
                return self._settle(completed, return_type, field_details_list, path)
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        return completed

    async def _settle(
        self,
        completed: Awaitable[Any],
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None


_UNSETTLED = object()  # a value the short path leaves to graphql-core's completion


def _plain(value: Any) -> bool:
    return value is not None and not isinstance(value, Exception)
