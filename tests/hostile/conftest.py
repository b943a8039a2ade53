"""Fixtures of the hostile suite: a production gateway beside the dev one, and a canary write."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from graph import GraphDatabase
from tests.conftest import Gateway, Services, running_gateway
from tests.hostile._http import CanaryWrite, new_customer


@pytest.fixture(scope="session")
async def production_gateway(services: Services, graph: GraphDatabase) -> AsyncIterator[Gateway]:
    async with running_gateway(
        services.settings(env="production", allow_anonymous=True)
    ) as running:
        yield running


@pytest.fixture
async def canary(graph: GraphDatabase) -> CanaryWrite:
    customer_id = await new_customer(graph, "canary")
    return CanaryWrite(customer_id, f"canary-{uuid.uuid4().hex[:12]}@example.test")
