from graph import MIGRATIONS, GraphDatabase, migrate
from graph.migrations import applied_versions


async def test_migrations_are_recorded_once_and_a_second_run_applies_nothing(graph: GraphDatabase):
    assert await migrate(graph) == []
    assert await applied_versions(graph) == [m.version for m in MIGRATIONS]


async def test_every_model_key_has_a_unique_constraint(graph: GraphDatabase):
    rows = await graph.read(
        "SHOW CONSTRAINTS YIELD labelsOrTypes, properties, type "
        "RETURN labelsOrTypes[0] AS label, properties, type"
    )
    unique = {
        (row["label"], tuple(row["properties"])) for row in rows if row["type"] == "UNIQUENESS"
    }
    for expected in [
        ("Customer", ("id",)),
        ("Identity", ("kind", "value")),
        ("Device", ("id",)),
        ("Channel", ("code",)),
        ("Store", ("id",)),
        ("Product", ("sku",)),
        ("Cart", ("id",)),
        ("Interaction", ("id",)),
        ("Journey", ("id",)),
        ("Consent", ("id",)),
        ("Migration", ("version",)),
        ("Partner", ("id",)),
        ("Partner", ("keyHash",)),
        ("AuditEntry", ("id",)),
    ]:
        assert expected in unique


async def test_a_merge_finds_the_conflicts_naming_the_merged_profile_by_index(graph: GraphDatabase):
    indexes = await graph.read(
        "SHOW INDEXES YIELD labelsOrTypes, properties, state "
        "WHERE labelsOrTypes = ['IdentityConflict'] RETURN properties, state"
    )
    assert {"properties": ["otherCustomerId"], "state": "ONLINE"} in indexes
