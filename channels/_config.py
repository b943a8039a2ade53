"""How one channel system is reached: its address and its federation policy knobs.

Plain values only; this module must never read the environment (the gateway's settings build these).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChannelConfig:
    """Address, timeout, pool, breaker and retry policy of one channel system.

    Attributes:
        name: the system's short name, used in errors, logs and stale-store keys.
        base_url: where the system listens, e.g. ``http://127.0.0.1:9101``.
        call_timeout_s: longest wait for one attempt; the request's deadline may cut it shorter.
        pool_size: connections to this system at most (its bulkhead); more calls queue.
        breaker_threshold: consecutive failures that open the breaker.
        breaker_ttl_s: how long the breaker stays open before it lets a call probe again.
        retries: extra attempts for idempotent calls (GETs, POSTs with an idempotency key).
        retry_wait_s: first backoff; it doubles per retry up to ``retry_wait_max_s``.
        retry_wait_max_s: longest backoff; a retry is only tried while this much time is left.
        retry_jitter_s: random extra backoff, so gateways do not retry in lockstep.
        stale_reserve_s: slice of the deadline kept back to look up a stale answer.
        failure_window_s: how far back failed calls count as "recent" in the system's health.

    Example:
        >>> ChannelConfig(name="oms", base_url="http://127.0.0.1:9103").call_timeout_s
        0.8
    """

    name: str
    base_url: str
    call_timeout_s: float = 0.8
    pool_size: int = 20
    breaker_threshold: int = 5
    breaker_ttl_s: float = 5.0
    retries: int = 2
    retry_wait_s: float = 0.02
    retry_wait_max_s: float = 0.1
    retry_jitter_s: float = 0.02
    stale_reserve_s: float = 0.05
    failure_window_s: float = 60.0

    def __post_init__(self) -> None:
        if not self.name or ":" in self.name:
            raise ValueError(f"channel name must be non-empty and without ':', got {self.name!r}")
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"{self.name}: base_url must be http(s), got {self.base_url!r}")
        positive = {
            "call_timeout_s": self.call_timeout_s,
            "pool_size": self.pool_size,
            "breaker_threshold": self.breaker_threshold,
            "breaker_ttl_s": self.breaker_ttl_s,
            "failure_window_s": self.failure_window_s,
        }
        for field, value in positive.items():
            if value <= 0:
                raise ValueError(f"{self.name}: {field} must be positive, got {value}")
        if min(self.retries, self.retry_wait_s, self.retry_jitter_s, self.stale_reserve_s) < 0:
            raise ValueError(f"{self.name}: retry and reserve settings must not be negative")
        if self.retry_wait_max_s < self.retry_wait_s:
            raise ValueError(f"{self.name}: retry_wait_max_s must be >= retry_wait_s")
