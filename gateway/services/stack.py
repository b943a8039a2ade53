"""The local stack of the demo: one Neo4j and one Redis under the project's state folder."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.services._errors import ServiceError
from gateway.services._neo4j import Neo4jConfig, Neo4jServer
from gateway.services._redis import RedisConfig, RedisServer
from gateway.services._simulators import Simulators, SimulatorsConfig, gateway_webhooks
from gateway.settings import Settings


@dataclass(frozen=True)
class ServiceStatus:
    """What ``parcours services status`` prints for one service."""

    name: str
    pid: int | None
    address: str


class LocalStack:
    """Neo4j and Redis as ``make up`` runs them, built from :class:`Settings`.

    Example:
        >>> stack = LocalStack(Settings())
        >>> stack.neo4j.config.bolt_port
        7687
    """

    def __init__(self, settings: Settings) -> None:
        state = settings.state_dir.resolve()
        self.neo4j = Neo4jServer(
            Neo4jConfig(
                home=state / "neo4j",
                cache_dir=settings.cache_dir.resolve(),
                version=settings.neo4j_version,
                bolt_port=settings.neo4j_bolt_port,
                auth=settings.neo4j_auth,
                heap=settings.neo4j_heap,
                pagecache=settings.neo4j_pagecache,
                start_timeout_s=settings.neo4j_start_timeout_s,
            )
        )
        self.redis = RedisServer(
            RedisConfig(home=state / "redis", port=settings.redis_port, persistent=True)
        )
        webhook_url, webhook_secret = gateway_webhooks(settings)
        self.simulators = Simulators(
            SimulatorsConfig(
                home=state / "simulators",
                base_port=settings.channel_base_port,
                latency_ms=settings.simulator_latency_ms,
                jitter_ms=settings.simulator_jitter_ms,
                webhook_url=webhook_url,
                webhook_secret=webhook_secret,
            )
        )

    def start(self) -> None:
        self.redis.start()
        self.neo4j.start()

    def start_simulators(self, seed: int, customers: int) -> None:
        """Start the channel simulators on the same seed as the graph, so ids line up."""
        config = self.simulators.config
        self.simulators = Simulators(
            SimulatorsConfig(
                home=config.home,
                base_port=config.base_port,
                seed=seed,
                customers=customers,
                latency_ms=config.latency_ms,
                jitter_ms=config.jitter_ms,
                webhook_url=config.webhook_url,
                webhook_secret=config.webhook_secret,
            )
        )
        self.simulators.start()

    def stop(self) -> None:
        """Stop the simulators, Neo4j and Redis; one that cannot be stopped does not keep the
        others running: every failure is reported together once all were tried."""
        failures: list[str] = []
        for service in (self.simulators, self.neo4j, self.redis):
            try:
                service.stop()
            except ServiceError as exc:
                failures.append(str(exc))
        if failures:
            raise ServiceError("\n".join(failures))

    def status(self) -> list[ServiceStatus]:
        return [
            ServiceStatus("neo4j", self.neo4j.running_pid(), self.neo4j.config.uri),
            ServiceStatus("redis", self.redis.running_pid(), self.redis.config.url),
            ServiceStatus(
                "simulators",
                self.simulators.running_pid(),
                f"{self.simulators.config.url('webshop')} (+4 ports)",
            ),
        ]
