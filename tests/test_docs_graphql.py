"""Every GraphQL example in the README, the docs and `parcours up`'s banner validates against
the schema the code builds: a renamed field or argument fails here, not in a reader's first
query."""

import json
import re
from pathlib import Path

import pytest
from graphql import GraphQLSchema, parse, validate

from gateway.cli._serve_commands import _banner
from gateway.settings import Settings
from resolvers import build_schema

ROOT = Path(__file__).resolve().parents[1]
DOCS = ("README.md", "docs/architecture.md", "docs/configuration.md")
BLOCK = re.compile(r"```graphql\n(.*?)```", re.DOTALL)
# Inline operations (`query { ... }`, `subscription { ... }`), not selections or Cypher maps.
INLINE = re.compile(r"`((?:query|mutation|subscription)\b[^`]*\{[^`]*\})`")
ELIDED = "{ ... }"  # `query CustomerContext { ... }`: a shape, not an example


def _examples() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        text = (ROOT / doc).read_text()
        found += [(doc, block) for block in BLOCK.findall(text)]
        found += [(doc, op) for op in INLINE.findall(text) if ELIDED not in op]
    return found


EXAMPLES = _examples()


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema()._schema


def test_the_docs_hold_examples():
    assert len([doc for doc, _ in EXAMPLES if doc == "README.md"]) >= 5


@pytest.mark.parametrize(
    "example",
    [text for _, text in EXAMPLES],
    ids=[f"{doc}:{i}" for i, (doc, _) in enumerate(EXAMPLES)],
)
def test_a_documented_operation_validates(schema: GraphQLSchema, example: str):
    errors = validate(schema, parse(example))
    assert [error.message for error in errors] == []


def test_the_queries_parcours_up_prints_validate(schema: GraphQLSchema):
    banner = _banner(Settings(), ("cus_sample", "sample@example.com"))
    start = banner.index("Try in GraphiQL:") + len("Try in GraphiQL:")
    tried = banner[start : banner.index("Or with curl:")]
    queries = [query for query in tried.split("\n\n") if query.strip()]
    curl = re.search(r"-d '(.*)'", banner)
    assert curl is not None
    queries.append(json.loads(curl.group(1))["query"])
    assert len(queries) == 3
    for query in queries:
        assert [error.message for error in validate(schema, parse(query))] == [], query


def test_parcours_up_names_every_page_it_serves():
    # The README promises GraphiQL and the console page; the banner named GraphiQL alone.
    banner = _banner(Settings(port=8080), None)
    base = "http://127.0.0.1:8080"
    for page in ("/graphql", "/console", "/console/analytics", "/healthz", "/readyz"):
        assert f"{base}{page} " in banner or f"{base}{page}\n" in banner, page
