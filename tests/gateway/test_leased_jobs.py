"""The loop behind the gateway's leased jobs (co-purchase refresh, key sweep), without a lease."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web

from gateway.leased_jobs import every


async def test_a_job_whose_first_wait_cannot_be_planned_still_runs_its_rounds():
    # The co-purchase refresh plans its first round by asking Neo4j whether the table exists;
    # Neo4j away at that moment ended the job for the instance's life (and failed its shutdown).
    rounds = asyncio.Event()

    async def ask_neo4j(app: web.Application, interval_s: float) -> float:
        raise ConnectionError("Neo4j is restarting")

    async def run_round(app: web.Application, lease_s: int) -> None:
        rounds.set()

    job = every(
        "test job", lambda app: 0.001, run_round, logging.getLogger("test"), first_wait_s=ask_neo4j
    )
    running = job(web.Application())
    await anext(running)
    try:
        await asyncio.wait_for(rounds.wait(), timeout=30)
    finally:
        with contextlib.suppress(StopAsyncIteration):
            await anext(running)  # cancelled with the application, cleanly
