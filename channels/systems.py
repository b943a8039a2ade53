"""The five channel systems of a gateway instance, opened and closed together."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import aiohttp

from channels._client import ChannelClient
from channels._config import ChannelConfig
from channels._health import SystemHealth
from channels._observer import ChannelObserver
from channels._stale import StaleStore
from channels.contact import ContactClient
from channels.mobile import MobileClient
from channels.oms import OmsClient
from channels.stores import StoresClient
from channels.webshop import WebshopClient


@dataclass(frozen=True)
class ChannelSystems:
    """One typed client per system, each over its own pooled connection (bulkhead).

    Example:
        >>> async def open_all(configs: Mapping[str, ChannelConfig]) -> ChannelSystems:
        ...     systems = ChannelSystems.create(configs, stale_store=None)
        ...     await systems.start()
        ...     return systems
    """

    webshop: WebshopClient
    stores: StoresClient
    oms: OmsClient
    contact: ContactClient
    mobile: MobileClient

    @classmethod
    def create(
        cls,
        configs: Mapping[str, ChannelConfig],
        stale_store: StaleStore | None,
        observer: ChannelObserver | None = None,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
        recent_availability_s: float = 30.0,
    ) -> ChannelSystems:
        def client(name: str) -> ChannelClient:
            return ChannelClient(configs[name], stale_store, observer, trace_configs)

        return cls(
            webshop=WebshopClient(client("webshop")),
            stores=StoresClient(client("stores")),
            oms=OmsClient(client("oms"), recent_availability_s),
            contact=ContactClient(client("contact")),
            mobile=MobileClient(client("mobile")),
        )

    def clients(self) -> tuple[ChannelClient, ...]:
        return (
            self.webshop.client,
            self.stores.client,
            self.oms.client,
            self.contact.client,
            self.mobile.client,
        )

    def health(self) -> tuple[SystemHealth, ...]:
        """Each system as this instance sees it (breaker, recent failures)."""
        return tuple(client.health() for client in self.clients())

    async def stale_copies_written(self) -> None:
        """Return once every system's stale copies of the answers so far are written."""
        await asyncio.gather(*(client.stale_copies_written() for client in self.clients()))

    async def start(self) -> None:
        for client in self.clients():
            await client.start()

    async def close(self) -> None:
        for client in self.clients():
            await client.close()
