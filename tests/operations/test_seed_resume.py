"""``parcours seed`` (and ``parcours up``, which seeds on its first run) stopped half way: the
next run finishes the dataset instead of skipping it because customers exist."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from gateway.cli import _graph_commands
from gateway.cli._graph_commands import run_seed
from gateway.services import LocalStack, free_port
from gateway.settings import Settings
from graph import GraphDatabase
from graph.customers import count_customers
from tests.conftest import CACHE_DIR


class Interrupted(Exception):
    """Ctrl-C, a crash: the seed stops after its first batch."""


@contextmanager
def _stopping_after_first_batch(*_: object) -> Iterator[Callable[[int], None]]:
    def advance(_: int) -> None:
        raise Interrupted

    yield advance


async def _state(settings: Settings) -> tuple[int, int]:
    db = GraphDatabase.connect(settings.bolt_uri, None)
    try:
        markers = await db.read("MATCH (r:SeedRun) RETURN count(r) AS n")
        return await count_customers(db), int(markers[0]["n"])
    finally:
        await db.close()


@pytest.mark.timeout(300)
def test_a_seed_interrupted_half_way_is_finished_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    settings = Settings(
        state_dir=tmp_path / "state",
        cache_dir=CACHE_DIR,
        neo4j_bolt_port=free_port(),
        neo4j_auth=False,
        neo4j_heap="384m",
        neo4j_pagecache="64m",
    )
    server = LocalStack(settings).neo4j
    server.start()
    try:
        with monkeypatch.context() as patched:
            patched.setattr(_graph_commands, "counting_progress", _stopping_after_first_batch)
            with pytest.raises(Interrupted):
                asyncio.run(run_seed(settings, 501, 7, force=False))  # batches of 500
        assert asyncio.run(_state(settings))[0] == 500

        assert asyncio.run(run_seed(settings, 501, 7, force=False))
        assert asyncio.run(_state(settings)) == (501, 0)
        assert not asyncio.run(run_seed(settings, 501, 7, force=False))  # complete: skipped
    finally:
        server.stop()
