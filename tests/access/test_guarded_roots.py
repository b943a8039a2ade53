"""Every way into the schema names who may use it: a root field without a permission class is a
public one, on purpose. ``searchCustomers`` went out unguarded once; this keeps the next field
from doing the same."""

from __future__ import annotations

from strawberry.types.base import StrawberryObjectDefinition

from resolvers import build_schema

# The catalog: products, stores and their stock, no customer data (docs/architecture.md, Access).
PUBLIC = {"Query.product", "Query.store"}


def _unguarded() -> set[str]:
    schema = build_schema()
    found = set()
    for root in ("Query", "Mutation", "Subscription"):
        definition = schema.get_type_by_name(root)
        assert isinstance(definition, StrawberryObjectDefinition)
        for field in definition.fields:
            if not field.permission_classes:
                found.add(f"{root}.{schema.config.name_converter.get_graphql_name(field)}")
    return found


def test_every_root_field_but_the_catalog_needs_a_scope():
    assert _unguarded() == PUBLIC
