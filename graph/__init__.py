"""The customer graph in Neo4j: migrations, repositories, identity rules and the demo dataset.

Every Cypher statement of Parcours lives in this package, as a module-level constant with
``$parameters``. It never imports ``gateway``, ``resolvers``, ``channels``, Strawberry or aiohttp.
"""

from graph import co_purchases
from graph._idempotency import ANONYMOUS as ANONYMOUS_CALLER
from graph._idempotency import delete_expired as delete_expired_keys
from graph._round_trips import RoundTripCounter, count_round_trips
from graph.database import GraphDatabase
from graph.identities import IdentityKind, InvalidIdentity, normalise_identity
from graph.migrations import MIGRATIONS, migrate

__all__ = [
    "ANONYMOUS_CALLER",
    "MIGRATIONS",
    "GraphDatabase",
    "IdentityKind",
    "InvalidIdentity",
    "RoundTripCounter",
    "co_purchases",
    "count_round_trips",
    "delete_expired_keys",
    "migrate",
    "normalise_identity",
]
