"""docs/architecture.md's scope table (Access) against the permission classes: every field a
scope guards is listed in that scope's row."""

import re
from pathlib import Path

from strawberry.types.base import StrawberryObjectDefinition

from resolvers import build_schema

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\| `([a-z:]+)` \| (.*) \|$", re.MULTILINE)


def _rows() -> dict[str, set[str]]:
    text = (ROOT / "docs" / "architecture.md").read_text()
    table = text[text.index("| scope | fields |") :]
    return {
        scope: set(re.findall(r"`([A-Za-z.]+)`", fields)) for scope, fields in ROW.findall(table)
    }


def test_every_scoped_field_is_in_its_scopes_row():
    rows, unlisted, schema = _rows(), [], build_schema()
    for graphql_type in schema.schema_converter.type_map.values():
        definition = graphql_type.definition
        if not isinstance(definition, StrawberryObjectDefinition):
            continue
        for field in definition.fields:
            field_name = schema.config.name_converter.from_field(field)
            name = f"{definition.name}.{field_name}"
            for scope in filter(None, (getattr(p, "scope", "") for p in field.permission_classes)):
                if not {name, field_name} & rows.get(scope, set()):
                    unlisted.append((scope, name))
    assert unlisted == []
