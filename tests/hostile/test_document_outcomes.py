"""Validation outcomes are remembered by the document's text, never across schemas or limits."""

from __future__ import annotations

from resolvers.schema import SchemaLimits, build_schema

INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_a_remembered_outcome_is_never_served_to_a_schema_with_other_rules() -> None:
    dev = build_schema(SchemaLimits(introspection=True))
    production = build_schema(SchemaLimits(introspection=False))

    assert (await dev.execute(INTROSPECTION)).errors is None
    refused = await production.execute(INTROSPECTION)
    assert refused.errors
    assert "introspection" in refused.errors[0].message.lower()
    assert (await dev.execute(INTROSPECTION)).errors is None  # its own outcome, still allowed
    assert (await production.execute(INTROSPECTION)).errors  # and refused again


async def test_a_remembered_outcome_is_never_served_under_other_field_limits() -> None:
    narrow = build_schema(SchemaLimits(max_fields=2))
    wide = build_schema(SchemaLimits(max_fields=100))

    assert (await wide.execute(INTROSPECTION)).errors is None
    refused = await narrow.execute(INTROSPECTION)
    assert refused.errors
    assert refused.errors[0].extensions == {"code": "GRAPHQL_VALIDATION_FAILED", "limit": "fields"}
    assert (await wide.execute(INTROSPECTION)).errors is None
