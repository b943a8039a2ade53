"""What keeping an answer's stale copies costs the gateway's CPU, per answer, in one run.

Run with ``make up`` serving (``.venv/bin/python -m bench.stale_copies``): the copies go to the
real Redis ``make up`` started, through ``RedisStaleStore`` (its batched writes), as a gateway's
``ChannelClient`` keeps them after each successful read. Compared, per answer of ``--skus`` SKUs:

- ``wholeAnswer``: one copy of the whole answer under one key (how every read was kept before
  per-SKU copies, and how reads about one thing still are);
- ``perSku``: one copy per SKU (``StaleItems``), written by one task in one ``save_many``.

Answers rotate over ``--carts`` carts (overlapping windows of a 300-product catalog, as the
bench's customers' carts do). Each round keeps ``--answers`` answers, one per event-loop turn as
requests would, then waits until every copy is written; the figure is the round's CPU time
(``time.process_time``) per answer. Prints the median and p99 over ``--rounds`` rounds of each,
and the ratio of medians. Measures only.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from channels import ChannelAnswer, ChannelClient, ChannelConfig, Deadline
from channels._stale import StaleItems
from gateway.settings import Settings
from gateway.stale_store import RedisStaleStore


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


async def _round(client: ChannelClient, keeps: list[Callable[[], None]], answers: int) -> float:
    started = time.process_time()
    for n in range(answers):
        keeps[n % len(keeps)]()
        await asyncio.sleep(0)  # one answer per loop turn, as requests interleave
    await client.stale_copies_written()
    return (time.process_time() - started) / answers * 1e6


def _cart(n: int, skus: int) -> list[str]:
    """The n-th cart's SKUs: overlapping windows of a 300-product catalog, as carts share SKUs."""
    return [f"SKU-BENCH-{(3 * n + k) % 300:05d}" for k in range(skus)]


def _ways(client: ChannelClient, carts: int, skus: int) -> dict[str, list[Callable[[], None]]]:
    whole: list[Callable[[], None]] = []
    per_sku: list[Callable[[], None]] = []
    for n in range(carts):
        wanted = _cart(n, skus)
        data: dict[str, Any] = {"prices": [{"sku": sku, "amount": 9.99} for sku in wanted]}
        answer = ChannelAnswer(data, "webshop", False, datetime.now(UTC), 1.0)
        items = StaleItems(
            keys={sku: f"bench-price:{sku}" for sku in wanted},
            split=lambda body, wanted=wanted: (
                dict.fromkeys(wanted) | {row["sku"]: row for row in body["prices"]}
            ),
            join=lambda rows: {"prices": rows},
        )
        key = "bench-prices:" + ",".join(wanted)
        whole.append(lambda key=key, answer=answer: client._keep_stale(key, answer, _deadline()))
        per_sku.append(
            lambda items=items, answer=answer: client._keep_stale_items(items, answer, _deadline())
        )
    return {"wholeAnswer": whole, "perSku": per_sku}


def _deadline() -> Deadline:
    return Deadline.after(5)


async def main(skus: int, carts: int, answers: int, rounds: int) -> None:
    settings = Settings()
    redis = Redis.from_url(settings.redis_dsn)
    store = RedisStaleStore(redis)
    client = ChannelClient(ChannelConfig(name="webshop", base_url="http://127.0.0.1:9"), store)
    ways = _ways(client, carts, skus)
    figures: dict[str, list[float]] = {name: [] for name in ways}
    try:
        for _ in range(rounds):  # alternate, so drift on the host hits both alike
            for name, keeps in ways.items():
                figures[name].append(await _round(client, keeps, answers))
    finally:
        async for name in redis.scan_iter(match="parcours:stale:webshop:bench-*"):
            await redis.delete(name)
        await redis.aclose()
    medians = {name: statistics.median(values) for name, values in figures.items()}
    print(
        f"stale copies of answers of {skus} SKUs from {carts} carts, "
        f"{answers} answers x {rounds} rounds"
    )
    for name, values in figures.items():
        print(f"  {name}: median {medians[name]:.1f} us CPU/answer, p99 {_p99(values):.1f} us")
    print(f"  perSku / wholeAnswer: {medians['perSku'] / medians['wholeAnswer']:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=6)
    parser.add_argument("--carts", type=int, default=100)
    parser.add_argument("--answers", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    asyncio.run(main(args.skus, args.carts, args.answers, args.rounds))
