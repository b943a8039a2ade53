"""GDPR across the channel systems: what each holds on a person, and telling each to erase them.

A person is known to the systems by their identifiers ((kind, value) pairs, kinds as the graph
names them: ``email``, ``contact_centre_id``...): the web shop and the OMS by email, the contact
centre by its id, the mobile backend by app install id, the stores by POS customer number. Both
functions ask the five systems at once through the federation core (:func:`fan_out`, one
deadline); a system that fails is reported as such, never raised. Its reads take no stale
fallback: what a system held when an earlier read kept it is not what it holds now, and a failing
system is reported unavailable, never answered for by that copy. This module must never import
the graph, the resolvers or the gateway, and never caches what it reads (personal data).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from channels._answer import ChannelAnswer
from channels._deadline import Deadline
from channels._errors import ChannelError, ChannelNotFound
from channels._fanout import fan_out
from channels.records import Page
from channels.systems import ChannelSystems

Identifier = tuple[str, str]
ERASURE_PATH = "/privacy/erasures"
_PAGE = 100
_PAGES_AT_ONCE = 10


@dataclasses.dataclass(frozen=True, slots=True)
class SystemRecords:
    """What one system returned for a person: per identifier, its records (``None``: unknown
    there), or ``available=False`` with the reason when the system could not be asked."""

    system: str
    available: bool
    records: dict[str, Any]
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        if not self.available:
            return {"status": "unavailable", "reason": self.reason}
        return {"status": "ok", "records": self.records}


def jsonable(value: Any) -> Any:
    """Records (frozen dataclasses, tuples, datetimes) as JSON-ready values.

    Example:
        >>> jsonable((datetime(2026, 1, 1, tzinfo=UTC), {"a": (1,)}))
        ['2026-01-01T00:00:00+00:00', {'a': [1]}]
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


Lookup = Callable[[str], Awaitable[ChannelAnswer[Any]]]


async def _per_identifier(
    system: str, values: Sequence[str], lookups: dict[str, Lookup]
) -> ChannelAnswer[dict[str, Any]]:
    """Every lookup for every value; a 404 means "nothing held", any other failure raises."""

    async def one(value: str, lookup: Lookup) -> Any:
        try:
            return jsonable((await lookup(value)).data)
        except ChannelNotFound:
            return None

    keys = [(value, name) for value in values for name in lookups]
    found = await asyncio.gather(*(one(value, lookups[name]) for value, name in keys))
    records: dict[str, Any] = {}
    for (value, name), data in zip(keys, found, strict=True):
        records.setdefault(value, {})[name] = data
    return ChannelAnswer(records, system, False, datetime.now(UTC), 0.0)


PageFetch = Callable[[int], Awaitable[ChannelAnswer[Page[Any]]]]


async def _every_page(fetch: PageFetch) -> ChannelAnswer[Page[Any]]:
    """Every item of a list the system pages: its first page, then the rest it says there are,
    asked together (the systems answer at most 100 items a page; an export holds them all)."""
    first = await fetch(1)
    pages = -(-first.data.total // _PAGE)
    items = list(first.data.items)
    # A few pages at a time, up to the last one holding items: a total the system overstates
    # costs no more than the deadline allows, never a call per page it claims.
    for start in range(2, pages + 1, _PAGES_AT_ONCE):
        wave = range(start, min(start + _PAGES_AT_ONCE, pages + 1))
        answers = await asyncio.gather(*(fetch(page) for page in wave))
        items += [item for answer in answers for item in answer.data.items]
        if any(not answer.data.items for answer in answers):
            break
    return first.with_data(Page(items=tuple(items), total=first.data.total))


async def _every_receipt(
    systems: ChannelSystems, pos_number: str, deadline: Deadline
) -> ChannelAnswer[tuple[Any, ...]]:
    answer = await _every_page(
        lambda page: systems.stores.receipts_page(
            pos_number, page, _PAGE, deadline=deadline, stale_fallback=False
        )
    )
    return answer.with_data(answer.data.items)


def _values(identifiers: Sequence[Identifier], kind: str) -> list[str]:
    return [value for k, value in identifiers if k == kind]


async def customer_records(
    systems: ChannelSystems, identifiers: Sequence[Identifier], deadline: Deadline
) -> dict[str, SystemRecords]:
    """What each of the five systems returns for the person with ``identifiers``."""
    emails = _values(identifiers, "email")
    cc_ids = _values(identifiers, "contact_centre_id")
    installs = _values(identifiers, "app_install_id")
    pos_numbers = _values(identifiers, "pos_customer_number")
    stale = False  # what the systems hold now, never a kept copy: see the module docstring
    calls = {
        "webshop": _per_identifier(
            "webshop", emails, {"account": lambda v: systems.webshop.account(v, deadline=deadline)}
        ),
        "oms": _per_identifier(
            "oms",
            emails,
            {
                "orders": lambda v: _every_page(
                    lambda page: systems.oms.orders(
                        v, page, _PAGE, deadline=deadline, stale_fallback=stale
                    )
                )
            },
        ),
        "contact": _per_identifier(
            "contact",
            cc_ids,
            {
                "tickets": lambda v: _every_page(
                    lambda page: systems.contact.tickets(
                        v, page, _PAGE, deadline=deadline, stale_fallback=stale
                    )
                )
            },
        ),
        "mobile": _per_identifier(
            "mobile",
            installs,
            {
                "devices": lambda v: systems.mobile.devices(
                    v, deadline=deadline, stale_fallback=stale
                )
            },
        ),
        "stores": _per_identifier(
            "stores",
            pos_numbers,
            {
                "receipts": lambda v: _every_receipt(systems, v, deadline),
                "notes": lambda v: systems.stores.notes(v, deadline=deadline, stale_fallback=stale),
            },
        ),
    }
    outcomes = await fan_out(calls, deadline)
    return {system: _records(system, outcome) for system, outcome in outcomes.items()}


def _records(system: str, outcome: ChannelAnswer[Any] | ChannelError) -> SystemRecords:
    if isinstance(outcome, ChannelError):
        return SystemRecords(system, available=False, records={}, reason=outcome.code)
    return SystemRecords(system, available=True, records=outcome.data)


async def notify_erasure(
    systems: ChannelSystems, identifiers: Sequence[Identifier], reference: str, deadline: Deadline
) -> dict[str, bool]:
    """Ask each system to erase the person with ``identifiers``; system → whether it took it.

    ``reference`` is the erasure's id, sent as the idempotency key so a retried notice is
    recognisable as the same request.
    """
    if not identifiers:
        return {}  # no system can know a person by nothing
    body = {
        "identifiers": [{"kind": kind, "value": value} for kind, value in identifiers],
        "reference": reference,
    }
    calls = {
        client.config.name: client.post_json(
            ERASURE_PATH, body, deadline=deadline, idempotency_key=reference
        )
        for client in systems.clients()
    }
    outcomes = await fan_out(calls, deadline)
    return {system: not isinstance(outcome, ChannelError) for system, outcome in outcomes.items()}
