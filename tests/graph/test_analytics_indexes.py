"""The analytics reads seek interactions by type or channel and instant (migration 12).

Before these indexes, every analytics window read every interaction of the window through the
`interaction_at` index and tested its type or channel: at a million customers (1.6M
interactions in 30 days) sales took 14.6 s and forced contacts 9.7 s, against 7.3 s and 5.7 s
with them, alternating in one run (bench/README.md, thirteenth session). The plans are not
asserted here: on the test graph's few interactions the planner rightly prefers other routes,
and at scale it chose these indexes (`bench/analytics_scale.py` shows the times).
"""

from __future__ import annotations

from graph import GraphDatabase


async def test_the_interaction_indexes_by_type_and_by_channel_exist(graph: GraphDatabase):
    rows = await graph.read(
        "SHOW INDEXES YIELD name, type, labelsOrTypes, properties, state "
        "WHERE name IN ['interaction_type_at', 'interaction_channel_at'] "
        "RETURN name, type, labelsOrTypes, properties, state ORDER BY name"
    )
    assert rows == [
        {
            "name": "interaction_channel_at",
            "type": "RANGE",
            "labelsOrTypes": ["Interaction"],
            "properties": ["channel", "at"],
            "state": "ONLINE",
        },
        {
            "name": "interaction_type_at",
            "type": "RANGE",
            "labelsOrTypes": ["Interaction"],
            "properties": ["type", "at"],
            "state": "ONLINE",
        },
    ]
