"""Fixtures shared by the gateway's tests."""

import uuid

import pytest

from graph import GraphDatabase


@pytest.fixture
async def customer(graph: GraphDatabase) -> str:
    """A customer of its own, with nothing but a name: no version, cart or history yet."""
    cid = f"cus_gw_{uuid.uuid4().hex[:12]}"
    await graph.write(
        "CREATE (:Customer {id: $id, displayName: 'Gateway Test', createdAt: datetime()})",
        {"id": cid},
    )
    return cid
