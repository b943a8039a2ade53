"""How one simulator is started: the shared seed, the dataset size and its latency model.

A plain frozen value passed to ``create_app``; it never reads the environment or the command line
(``__main__`` does that) and never changes once an app is built (faults change at run time instead).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SimulatorConfig:
    """Seed, size and latency of a simulated channel system.

    ``seed`` and ``customers`` must match the graph's (``parcours seed``) so ids line up;
    ``latency_ms`` + uniform(0, ``jitter_ms``) is added to every answer, drawn from ``rng_seed``.
    With ``webhook_url`` (a base such as ``http://127.0.0.1:8080/webhooks``), the systems that
    emit events post them to ``<webhook_url>/<their channel>``, signed with ``webhook_secret``,
    where ``{channel}`` stands for that channel (the default is the gateway's dev convention).

    Example:
        >>> SimulatorConfig(customers=200, latency_ms=20, jitter_ms=5).latency_ms
        20
    """

    seed: int = 42
    customers: int = 2000
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rng_seed: int = 0
    webhook_url: str | None = None
    webhook_secret: str | None = None

    def __post_init__(self) -> None:
        if self.customers < 0:
            raise ValueError("customers must be zero or more")
        if self.latency_ms < 0 or self.jitter_ms < 0:
            raise ValueError("latency_ms and jitter_ms must be zero or more")
        if self.webhook_url is not None and not self.webhook_url.startswith(
            ("http://", "https://")
        ):
            raise ValueError("webhook_url must be an http:// or https:// URL")
        if self.webhook_secret is not None and not self.webhook_secret:
            raise ValueError("webhook_secret must not be empty")
