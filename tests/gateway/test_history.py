from tests.conftest import Gateway
from tests.fixture_dataset import ALICE, alice_interactions

HISTORY = """
query($id: ID!, $first: Int!, $after: String, $channels: [Channel!], $types: [InteractionType!]) {
  customer(id: $id) {
    history(first: $first, after: $after, channels: $channels, types: $types) {
      edges { cursor node { id at type channel product { sku } store { id } deviceId } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}
"""


def _newest_first() -> list[str]:
    events = alice_interactions()
    return [str(e["id"]) for e in sorted(events, key=lambda e: (e["at"], e["id"]), reverse=True)]


async def _page(gateway: Gateway, **variables) -> dict:
    body = await gateway.query(HISTORY, {"id": ALICE, **variables})
    assert "errors" not in body, body
    return body["data"]["customer"]["history"]


async def test_history_pages_cover_every_interaction_once_newest_first(gateway: Gateway):
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = await _page(gateway, first=10, after=after)
        pages += 1
        seen += [edge["node"]["id"] for edge in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 3
    assert seen == _newest_first()
    assert seen[:3] == ["fx-a-25", "fx-a-24", "fx-a-23"]  # fx-a-22/23 tie on time: id breaks it


async def test_history_items_carry_channel_product_store_and_device(gateway: Gateway):
    page = await _page(gateway, first=2)
    latest, purchase = (edge["node"] for edge in page["edges"])
    assert latest == {
        "id": "fx-a-25",
        "at": "2026-10-01T12:00:00+00:00",
        "type": "VIEW",
        "channel": "APP",
        "product": {"sku": "FX-P3"},
        "store": None,
        "deviceId": "fx-dev-alice",
    }
    assert purchase["store"] == {"id": "FX-ST-A"}
    assert purchase["channel"] == "STORE"


async def test_history_filters_by_channel_and_type(gateway: Gateway):
    page = await _page(gateway, first=50, channels=["CALL_CENTRE", "CHAT"])
    assert [edge["node"]["id"] for edge in page["edges"]] == ["fx-a-22", "fx-a-21"]
    page = await _page(gateway, first=50, types=["SEARCH"])
    assert len(page["edges"]) == 20
    assert page["pageInfo"]["hasNextPage"] is False


async def test_page_size_is_capped_and_cursors_are_checked(gateway: Gateway):
    for variables in ({"first": 0}, {"first": 101}, {"first": 5, "after": "not-a-cursor"}):
        body = await gateway.query(HISTORY, {"id": ALICE, **variables})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", variables
