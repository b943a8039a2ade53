"""Stand-ins for the existing channel systems, run as real HTTP servers in the demo and tests.

Five small aiohttp apps (web shop, stores, OMS, contact centre, mobile backend), each with its own
seeded state, REST API, error-body shape and latency model, plus a shared control plane to switch
faults at run time (``/admin/faults``, ``/admin/reset``). Their data comes from the graph's seed,
so ids line up with the customer graph. No product package imports this one: the gateway reaches
the simulators over HTTP only, exactly as it would the real systems.

Example:
    >>> app = create_app("oms", SimulatorConfig(seed=42, customers=200))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from aiohttp import web

from simulators import contact, mobile, oms, stores, webshop
from simulators._config import SimulatorConfig

# In port order: `python -m simulators all --base-port P` serves them on P, P+1, ...
SYSTEMS: Mapping[str, Callable[[SimulatorConfig | None], web.Application]] = {
    "webshop": webshop.create_app,
    "stores": stores.create_app,
    "oms": oms.create_app,
    "contact": contact.create_app,
    "mobile": mobile.create_app,
}


def create_app(system: str, config: SimulatorConfig | None = None) -> web.Application:
    """The simulator app for ``system`` (one of :data:`SYSTEMS`)."""
    try:
        factory = SYSTEMS[system]
    except KeyError:
        raise ValueError(f"unknown system {system!r}: one of {', '.join(SYSTEMS)}") from None
    return factory(config)


__all__ = ["SYSTEMS", "SimulatorConfig", "create_app"]
