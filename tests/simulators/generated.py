"""The graph's own generator, read straight (not through the simulators), to check ids line up."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graph.seed.generator import customer_batches, reference_data

SEED, CUSTOMERS = 42, 2000


@dataclass
class Generated:
    id: str
    identities: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    devices: list[dict[str, Any]] = field(default_factory=list)
    interactions: list[dict[str, Any]] = field(default_factory=list)

    def first(self, kind: str) -> str:
        return self.identities[kind][0]

    def activity(self, *channels: str, kind: str | None = None) -> list[dict[str, Any]]:
        return [
            row
            for row in self.interactions
            if row["channel"] in channels and (kind is None or row["type"] == kind)
        ]


@lru_cache(maxsize=1)
def customers() -> list[Generated]:
    by_id: dict[str, Generated] = {}
    for batch in customer_batches(SEED, reference_data(SEED), CUSTOMERS):
        for row in batch.customers:
            by_id[row["id"]] = Generated(id=row["id"])
        for row in batch.identities:
            by_id[row["customerId"]].identities[row["kind"]].append(row["value"])
        for row in batch.devices:
            by_id[row["customerId"]].devices.append(row)
        for row in batch.interactions:
            by_id[row["customerId"]].interactions.append(row)
    return list(by_id.values())


def with_identity(kind: str) -> list[Generated]:
    return [customer for customer in customers() if customer.identities.get(kind)]


def busiest(kind: str, *channels: str, activity: str | None = None) -> Generated:
    """The customer with identity ``kind`` who has the most matching interactions."""
    return max(with_identity(kind), key=lambda c: len(c.activity(*channels, kind=activity)))


def first_cc_id() -> str:
    return with_identity("contact_centre_id")[0].first("contact_centre_id")


def first_install_id() -> str:
    return with_identity("app_install_id")[0].first("app_install_id")
