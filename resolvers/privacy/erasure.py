"""Erasing a customer: tell the channel systems, purge the caches, then erase the graph.

The order matters: the identifiers are needed to notify the systems and purge identifier-keyed
caches, and they exist only in the graph, so the graph goes last, in one transaction that also
writes the audit record. A second erasure finds that record and returns it (idempotent), unless
a profile came back under the id since (a sign-up of an erased guest's browser): that is erased. A
system that cannot be reached is listed in the record as not notified; a cache that cannot be
purged fails the erasure (nothing erased yet, so it can simply be retried). The caches are purged
again once the graph is erased, so a read that refilled them in between leaves nothing behind.
Between the two, the erasure is announced on the event bus, so every instance ends its open
subscriptions about the customer (they also ask the graph before each result).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import structlog

from channels import ChannelSystems, Deadline
from channels.privacy import notify_erasure
from graph import GraphDatabase
from graph.erasure import (
    ErasureRecord,
    ErasureReport,
    customer_identifiers,
    erase_customer,
    erasure_record,
)
from resolvers.errors import NotFound
from resolvers.privacy.ports import CachePurge
from resolvers.realtime.ports import EventBus

log = structlog.get_logger("parcours.privacy")


@dataclass(frozen=True, slots=True)
class Erasure:
    record: ErasureRecord
    replayed: bool


async def erase(
    graph: GraphDatabase,
    systems: ChannelSystems,
    purge: CachePurge | None,
    customer_id: str,
    budget_s: float,
    *,
    events: EventBus,
) -> Erasure:
    """Erase ``customer_id`` everywhere, or return the earlier erasure; NOT_FOUND otherwise."""
    earlier = await erasure_record(graph, customer_id)
    if earlier is not None:
        return Erasure(earlier, replayed=True)
    identifiers = await customer_identifiers(graph, customer_id)
    notified = await notify_erasure(
        systems, identifiers, f"erasure-{uuid.uuid4().hex}", Deadline.after(budget_s)
    )
    purged = await purge.purge(customer_id, identifiers) if purge is not None else 0
    report = ErasureReport(
        channels_notified=sorted(name for name, ok in notified.items() if ok),
        channels_unavailable=sorted(name for name, ok in notified.items() if not ok),
        cache_keys_purged=purged,
    )
    record = await erase_customer(graph, customer_id, report)
    if record is not None:
        await events.announce_erasure(record.customer_id_hash)
        await _purge_again(purge, customer_id, identifiers, record.id)
        return Erasure(record, replayed=False)
    raced = await erasure_record(graph, customer_id)  # erased meanwhile by another request
    if raced is not None:
        return Erasure(raced, replayed=True)
    raise NotFound(f"no customer with id {customer_id!r}", id=customer_id, argument="id")


async def _purge_again(
    purge: CachePurge | None, customer_id: str, identifiers: list[tuple[str, str]], erasure: str
) -> None:
    if purge is None:
        return
    try:
        await purge.purge(customer_id, identifiers)
    except Exception:  # the port hides Redis; erased already, entries expire on their TTL
        log.warning("erasure_second_purge_failed", erasure_id=erasure)
