"""Timestamps as the simulated systems write them: ISO-8601, UTC, second precision, ``Z`` suffix.

Seeded history is anchored to the dataset's fixed date; only what happens while a simulator runs
(a new receipt, order or push) reads the wall clock, through :func:`utc_now` alone.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The wall clock, in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """``2026-10-31T09:15:00Z``: what every simulator puts in its JSON."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
