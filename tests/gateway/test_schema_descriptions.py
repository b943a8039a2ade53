"""The schema's descriptions are the API reference partners read (GraphiQL, schema.graphql): a
field guarded by a scope says which, as `customer` says `customer:read`."""

from strawberry.types.base import StrawberryObjectDefinition

from resolvers import build_schema


def test_every_scoped_field_names_its_scopes_in_its_description():
    schema = build_schema()
    unnamed = {}
    for graphql_type in schema.schema_converter.type_map.values():
        definition = graphql_type.definition
        if not isinstance(definition, StrawberryObjectDefinition):
            continue
        for field in definition.fields:
            scopes = [getattr(p, "scope", "") for p in field.permission_classes]
            missing = [s for s in scopes if s and f"`{s}`" not in (field.description or "")]
            if missing:
                unnamed[f"{definition.name}.{field.name}"] = missing
    assert unnamed == {}
