"""The floor bench's graphql-core part executes the whole document it is given."""

import pytest

from bench.floor import graphql_over
from bench.scenarios import FAN_OUT_QUERY, HOME_QUERY

PRODUCT = {"sku": "SKU-00001", "name": "Lamp"}
HOME_ANSWER = {
    "customer": {
        "id": "cus_1",
        "displayName": "Ada",
        "identities": [{"kind": "EMAIL", "value": "ada@example.com"}],
        "devices": [{"id": "dev-1", "kind": "PHONE"}],
        "cart": {"version": 3, "lines": [{"quantity": 2, "addedVia": "APP", "product": PRODUCT}]},
        "history": {
            "edges": [
                {
                    "node": {
                        "id": f"i-{n}",
                        "at": "2026-12-03T10:00:00+00:00",
                        "channel": "STORE",
                        "type": "PURCHASE",
                        "product": {"name": "Lamp"},
                        "store": {"name": "Lyon"},
                    }
                }
                for n in range(10)
            ]
        },
        "recommendations": [{"product": PRODUCT, "score": 0.5}],
    }
}


def test_re_executing_the_home_screens_answer_returns_it_field_for_field():
    assert graphql_over(HOME_QUERY)(HOME_ANSWER) == HOME_ANSWER


def test_a_missing_non_null_field_fails_the_execution_instead_of_passing_unnoticed():
    answer = {"customer": {"displayName": "Ada", "cart": None}}  # no `devices`, a [Device!]!
    with pytest.raises(RuntimeError, match=r"Customer\.devices"):
        graphql_over(FAN_OUT_QUERY)(answer)
