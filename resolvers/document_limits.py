"""Size limits measured on the parsed document, before any validation rule or resolver runs.

Strawberry's depth and alias limiters are validation rules, and they expand every fragment spread
without memory: a chain of fragments that each spread the next one twice costs 2^n steps in them
(and in graphql-core's overlapping-fields rule) although it fits in a few hundred tokens. This
extension counts the fields an operation would select once fragments are expanded, with each
fragment measured once, and refuses an oversized document before validation starts, so no
validation rule and no resolver ever sees it. It must never execute anything or look at the schema.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
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
from strawberry.extensions import ValidationCache

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


class DocumentLimits(ValidationCache):
    """Strawberry's validation (through its cache), preceded by the field counts.

    A refused document gets one coded error and no validation rule runs on it (the rules are
    what a fragment bomb is aimed at); any other document is validated as ``ValidationCache``
    does. It takes ``ValidationCache``'s place in the schema's extensions.

    Example:
        >>> extensions = [lambda: DocumentLimits(max_root_fields=20, max_fields=1000)]
    """

    def __init__(self, *, max_root_fields: int, max_fields: int, cache_size: int = 256) -> None:
        super().__init__(maxsize=cache_size)
        self.max_root_fields = max_root_fields
        self.max_fields = max_fields

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        error = (
            None if document is None else refusal(document, self.max_root_fields, self.max_fields)
        )
        if error is None:
            yield from super().on_validate()
            return
        # Strawberry skips its own validation when errors are already set.
        context.pre_execution_errors = [error]
        yield
