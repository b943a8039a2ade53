from pathlib import Path

from resolvers import build_schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_the_committed_schema_matches_the_code():
    committed = SCHEMA_FILE.read_text()
    assert build_schema().as_str() + "\n" == committed, (
        "schema.graphql is out of date: run `make schema` and commit the result"
    )
