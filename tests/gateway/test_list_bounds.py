"""Every list of the schema is a page or says how long it can get.

A list field either is a connection's ``edges`` (paged with ``first``/``after``), states its cap
in its description ("at most"), or is bounded by something other than the data's growth, named
below with the reason. A new list that grows with the data fails here until it is one of those.
"""

import re

from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLType

from graph import GraphDatabase
from resolvers import build_schema
from tests.conftest import Gateway

# Bounded by the schema or by configuration, not by how much data a customer gathers.
BOUNDED_BY_NATURE = {
    "AuditEntry.fields": "names of the schema's personal fields",
    "ChannelPathConversion.path": "the channels of one journey's steps",
    "ChannelSwitches.distribution": "one row per switch count of a journey's steps",
    "Customer.consents": "one per ConsentPurpose",
    "CustomerActivity.ids": "the ids one write is about",
    "ErasureOutcome.channelsNotified": "the channel systems",
    "ErasureOutcome.channelsUnavailable": "the channel systems",
    "ForcedContactConnection.byChannel": "one per Channel",
    "JourneyAnalytics.conversionByPath": "`first`, 1 to the page size cap",
    "JourneyAnalytics.incidents": "one per channel system",
    "Merge.identities": "the identifiers of one anonymous profile (per-kind limits)",
    "Order.timeline": "one event per status the order reached",
}
CAP = re.compile(r"\bat most\b")


def _list_type(kind: GraphQLType) -> bool:
    while isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    return isinstance(kind, GraphQLList)


def test_every_list_field_is_paged_or_states_its_cap() -> None:
    schema = build_schema()._schema
    unbounded = []
    for name, kind in schema.type_map.items():
        if name.startswith("__") or not isinstance(kind, GraphQLObjectType):
            continue
        for field_name, field in kind.fields.items():
            if not _list_type(field.type):
                continue
            if name.endswith("Connection") and field_name == "edges":
                continue
            where = f"{name}.{field_name}"
            if where in BOUNDED_BY_NATURE or CAP.search(field.description or ""):
                continue
            unbounded.append(where)
    assert unbounded == []


async def test_a_customer_shows_the_first_50_devices_by_id(
    gateway: Gateway, graph: GraphDatabase, customer: str
) -> None:
    ids = [f"dev-{customer}-{n:02d}" for n in range(51)]
    await graph.write(
        "MATCH (c:Customer {id: $id}) UNWIND $devices AS device "
        "CREATE (c)-[:USES]->(:Device {id: device, kind: 'phone', os: 'android'})",
        {"id": customer, "devices": ids},
    )
    body = await gateway.query(
        "query($c: ID!) { customer(id: $c) { devices { id } } }", {"c": customer}
    )
    assert "errors" not in body, body
    assert [d["id"] for d in body["data"]["customer"]["devices"]] == ids[:50]
