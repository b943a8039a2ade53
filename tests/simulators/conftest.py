"""Each simulator served for real on a free loopback port, and a client session to talk to it.

A fresh server per test: state builds in milliseconds (the generated dataset is cached per
process), so no test sees another's purchases, price changes or faults.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from simulators import SYSTEMS
from tests.simulators.harness import Simulator, serve


@pytest.fixture(params=list(SYSTEMS))
async def simulator(request: pytest.FixtureRequest) -> AsyncIterator[Simulator]:
    async with serve(request.param) as running:
        yield running


@pytest.fixture
async def webshop() -> AsyncIterator[Simulator]:
    async with serve("webshop") as running:
        yield running


@pytest.fixture
async def stores() -> AsyncIterator[Simulator]:
    async with serve("stores") as running:
        yield running


@pytest.fixture
async def oms() -> AsyncIterator[Simulator]:
    async with serve("oms") as running:
        yield running


@pytest.fixture
async def contact() -> AsyncIterator[Simulator]:
    async with serve("contact") as running:
        yield running


@pytest.fixture
async def mobile() -> AsyncIterator[Simulator]:
    async with serve("mobile") as running:
        yield running
