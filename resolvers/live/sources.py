"""What one request learned about the channel systems: who answered, how fast, and what degraded.

``sources`` end up in the response ``extensions.sources``; ``notices`` become GraphQL errors on the
degraded fields (null or stale), so a slow system costs its own fields, never the whole answer.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from graphql import GraphQLError

from channels import ChannelAnswer, ChannelError

T = TypeVar("T")


@dataclass(frozen=True)
class SourceCall:
    channel: str
    outcome: str  # "ok" | "stale" | "failed"
    latency_ms: float | None
    as_of: datetime | None
    code: str | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"channel": self.channel, "outcome": self.outcome}
        if self.latency_ms is not None:
            body["latencyMs"] = round(self.latency_ms, 2)
        if self.as_of is not None:
            body["asOf"] = self.as_of.isoformat()
        if self.code is not None:
            body["code"] = self.code
        return body


@dataclass
class SourceLog:
    """Per-request record of channel calls and of the fields they degraded."""

    calls: list[SourceCall] = field(default_factory=list)
    notices: list[GraphQLError] = field(default_factory=list)

    async def observe(self, pending: Awaitable[ChannelAnswer[T]]) -> ChannelAnswer[T]:
        """Await one channel call and record its outcome (once per call, not per field)."""
        started = time.perf_counter()
        try:
            answer = await pending
        except ChannelError as exc:
            # How long the system was waited for (retries included), as answered calls report.
            self.failed(exc, (time.perf_counter() - started) * 1000)
            raise
        self.answered(answer)
        return answer

    def answered(self, answer: ChannelAnswer[Any]) -> None:
        outcome = "stale" if answer.stale else "ok"
        self.calls.append(
            SourceCall(
                answer.channel, outcome, answer.latency_ms, answer.as_of, answer.failure_code
            )
        )

    def failed(self, error: ChannelError, latency_ms: float | None = None) -> None:
        self.calls.append(SourceCall(error.channel, "failed", latency_ms, None, error.code))

    def degrade(self, path: list[str | int], message: str, extensions: dict[str, Any]) -> None:
        """Add a notice on ``path``, once per field and system: a field fed by several calls to
        one failing system (``Cart.total``, one price per line) says so once, with the oldest
        ``asOf`` of its stale inputs (the field is as old as its oldest part)."""
        for n, notice in enumerate(self.notices):
            known = notice.extensions or {}
            same = (notice.path, notice.message) == (path, message) and all(
                known.get(key) == extensions.get(key) for key in ("code", "channel", "stale")
            )
            if same:
                if str(extensions.get("asOf", "")) < str(known.get("asOf", "")):
                    self.notices[n] = GraphQLError(message, path=path, extensions=extensions)
                return
        self.notices.append(GraphQLError(message, path=path, extensions=extensions))

    def take_notices(self) -> list[GraphQLError]:
        """The notices so far, forgotten here: each goes out with one result only."""
        taken, self.notices = self.notices, []
        return taken

    def summary(self) -> list[dict[str, Any]]:
        return [call.as_json() for call in self.calls]
