"""Size limits measured on the parsed document, before any validation rule or resolver runs.

Strawberry's depth and alias limiters are validation rules, and they expand every fragment spread
without memory: a chain of fragments that each spread the next one twice costs 2^n steps in them
(and in graphql-core's overlapping-fields rule) although it fits in a few hundred tokens. This
extension counts the fields an operation would select once fragments are expanded, with each
fragment measured once, and refuses an oversized document before validation starts, so no
validation rule and no resolver ever sees it. It must never execute anything or look at the schema.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

# graphql-core's parser already refuses selections nested more than 200 deep; fragment hops add
# to the walk below, so it stops well before Python's recursion limit.
_MAX_WALK_DEPTH = 250


@dataclass(frozen=True)
class Measure:
    """What one operation selects: fields at its root and fields in all, fragments expanded."""

    root_fields: int
    fields: int


class _TooDeep(Exception):
    pass


@dataclass
class _Walk:
    fragments: Mapping[str, FragmentDefinitionNode]
    memo: dict[str, Measure] = field(default_factory=dict)
    visiting: set[str] = field(default_factory=set)

    def selection_set(self, selections: SelectionSetNode, depth: int) -> Measure:
        if depth > _MAX_WALK_DEPTH:
            raise _TooDeep
        root = total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                root += 1
                total += 1
                if selection.selection_set is not None:
                    total += self.selection_set(selection.selection_set, depth + 1).fields
            elif isinstance(selection, InlineFragmentNode):
                inner = self.selection_set(selection.selection_set, depth + 1)
                root, total = root + inner.root_fields, total + inner.fields
            elif isinstance(selection, FragmentSpreadNode):
                inner = self.fragment(selection.name.value, depth + 1)
                root, total = root + inner.root_fields, total + inner.fields
        return Measure(root_fields=root, fields=total)

    def fragment(self, name: str, depth: int) -> Measure:
        if name in self.memo:
            return self.memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.visiting:
            # Unknown or cyclic spreads are reported by the validation rules; they add nothing.
            return Measure(0, 0)
        self.visiting.add(name)
        try:
            measure = self.selection_set(definition.selection_set, depth)
        finally:
            self.visiting.discard(name)
        self.memo[name] = measure
        return measure


def measure_operations(document: DocumentNode) -> list[Measure] | None:
    """The measure of each operation in ``document``; ``None`` when it is too deep to walk.

    Example:
        >>> from graphql import parse
        >>> measure_operations(parse("{ a b { c } ...F } fragment F on Q { d d }"))
        [Measure(root_fields=4, fields=5)]
    """
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walk = _Walk(fragments)
    try:
        return [
            walk.selection_set(d.selection_set, 0)
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
        ]
    except _TooDeep:
        return None


def refusal(document: DocumentNode, max_root_fields: int, max_fields: int) -> GraphQLError | None:
    """The error refusing ``document``, or ``None`` when it is within the limits."""
    measures = measure_operations(document)
    if measures is None:
        return _refused(f"the document nests fragments more than {_MAX_WALK_DEPTH} deep", "depth")
    for measure in measures:
        if measure.root_fields > max_root_fields:
            return _refused(
                f"{measure.root_fields} root fields selected, at most {max_root_fields} allowed",
                "rootFields",
            )
        if measure.fields > max_fields:
            return _refused(
                f"{measure.fields} fields selected once fragments are expanded, "
                f"at most {max_fields} allowed",
                "fields",
            )
    return None


def _refused(message: str, limit: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "GRAPHQL_VALIDATION_FAILED", "limit": limit})


class DocumentLimits(SchemaExtension):
    """Validation preceded by the field counts, both remembered by the document's text.

    A refused document gets one coded error and no validation rule runs on it (the rules are
    what a fragment bomb is aimed at); any other document is validated as Strawberry does. The
    outcome is kept in an LRU of ``cache_size`` entries keyed by the query text, the schema and
    the rules: Strawberry's ``ValidationCache`` keys on the parsed document, whose hash walks the
    whole syntax tree (≈ 55 µs for the home screen, plus ≈ 38 µs for the counts, on every
    request); the text's hash is one pass in C. It takes ``ValidationCache``'s place in the
    schema's extensions; ``cache_size=0`` validates every document every time.

    Example:
        >>> extensions = [lambda: DocumentLimits(max_root_fields=20, max_fields=1000)]
    """

    def __init__(self, *, max_root_fields: int, max_fields: int, cache_size: int = 256) -> None:
        super().__init__()
        self.max_root_fields = max_root_fields
        self.max_fields = max_fields
        self.cache_size = cache_size

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            key = (
                context.query,
                context.schema,
                context.validation_rules,
                self.max_root_fields,
                self.max_fields,
            )
            errors = _OUTCOMES.get(key) if context.query is not None else None
            if errors is None:
                errors = self._outcome(document)
                if context.query is not None and self.cache_size > 0:
                    _OUTCOMES.put(key, errors, self.cache_size)
            if not errors and _unnamed_choice(context, document):
                errors = [_must_name_operation()]
            # Strawberry skips its own validation when the errors are already set.
            context.pre_execution_errors = errors
        yield

    def _outcome(self, document: DocumentNode) -> list[GraphQLError]:
        context = self.execution_context
        error = refusal(document, self.max_root_fields, self.max_fields)
        if error is not None:
            return [error]
        return validate_document(context.schema._schema, document, context.validation_rules)


def _must_name_operation() -> GraphQLError:
    # graphql-core's own words; Strawberry would quietly run the first operation instead.
    return GraphQLError(
        "Must provide operation name if query contains multiple operations: send `operationName`.",
        extensions={"code": "BAD_REQUEST"},
    )


def _unnamed_choice(context: ExecutionContext, document: DocumentNode) -> bool:
    """Several operations and no ``operationName`` from the client: a request error (GraphQL
    spec, "GetOperation"). Strawberry fills the name in from the first operation, so the one the
    client gave is read from its private field."""
    given = getattr(context, "_provided_operation_name", None)
    operations = sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)
    return given is None and operations > 1


class _Outcomes:
    """A small LRU shared by every request (extensions are built per request)."""

    def __init__(self) -> None:
        self._entries: OrderedDict[Hashable, list[GraphQLError]] = OrderedDict()

    def get(self, key: Hashable) -> list[GraphQLError] | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: Hashable, errors: list[GraphQLError], size: int) -> None:
        self._entries[key] = errors
        self._entries.move_to_end(key)
        while len(self._entries) > size:
            self._entries.popitem(last=False)


_OUTCOMES = _Outcomes()
