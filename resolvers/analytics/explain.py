"""Words for a forced contact: why the attempt failed and what happened next."""

from __future__ import annotations

from graph import analytics


def failure_reason(attempt: analytics.Touch) -> str:
    """``search with no result``, ``error`` or ``abandoned step``."""
    if attempt.outcome == "error":
        return "error"
    if attempt.outcome == "abandoned":
        return "abandoned step"
    return "search with no result"


def explain(item: analytics.ForcedContact) -> str:
    """One sentence, e.g. "search 'canapé cuir' with no result on web, then a call on
    call_centre 4 min later".

    Example:
        >>> from datetime import UTC, datetime
        >>> at = datetime(2031, 1, 5, 10, 0, tzinfo=UTC)
        >>> attempt = analytics.Touch("s1", at, "search", "web", query="sofa", result_count=0)
        >>> contact = analytics.Touch("c1", at.replace(minute=4), "call", "call_centre")
        >>> explain(analytics.ForcedContact("cus_1", contact, attempt))
        "search 'sofa' with no result on web, then a call on call_centre 4 min later"
    """
    attempt, contact = item.attempt, item.contact
    what = attempt.type + (f" {attempt.query!r}" if attempt.query else "")
    reason = failure_reason(attempt)
    failed = f"{what} with no result" if reason == "search with no result" else f"{what} ({reason})"
    minutes = item.delay_s / 60
    delay = f"{minutes:.0f} min" if minutes >= 1 else f"{item.delay_s:.0f} s"
    return (
        f"{failed} on {attempt.channel}, then a {contact.type} on {contact.channel} {delay} later"
    )
