"""Versioned, idempotent schema migrations for the customer graph, recorded in the graph itself.

Each migration is a tuple of schema statements that are safe to run twice (``IF NOT EXISTS``),
and maybe a data step: Python over the stored data (a normalisation or a derived property
Cypher cannot compute), run after the statements, idempotent too, in batches, whose summary is
kept on the record. A ``(:Migration {version})`` node records what ran, written only once the
statements and the data step have all succeeded, so ``parcours migrate`` and every gateway start
can apply what is missing (resuming a data step that failed) and skip the rest. Versions need
not be contiguous: each is applied unless recorded.

Two gateways starting at once take turns: each reads and applies the missing migrations while
holding the migration lock (a write lock on a ``(:MigrationLock)`` node, held by a transaction
that is rolled back at the end, so that nothing is left in the graph and a caller that dies
releases it with its connection); the second finds everything recorded and applies nothing.
That transaction asks for no timeout, so a server's ``db.transaction.timeout`` shorter than a
data step does not end it mid-migration.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import LiteralString

import stamina
from neo4j import AsyncTransaction
from neo4j.exceptions import ClientError, TransientError

from graph._backfills import backfill_joined_journeys, backfill_search_names
from graph._phone_migration import renormalise_phones
from graph.database import GraphDatabase
from graph.identities import DEFAULT_PHONE_REGION

# Where a data step says how far it got (a line every few thousand records, then its summary):
# on a graph of millions its work takes minutes, at a gateway's start or in `parcours migrate`.
Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    return None


@dataclass(frozen=True)
class MigrationInputs:
    """What a data step may depend on besides the graph: the settings every instance shares,
    and where to report its progress."""

    phone_region: str = DEFAULT_PHONE_REGION
    progress: Progress = _quiet


# A data step: idempotent work over the data; returns a one-line summary of what it changed.
DataStep = Callable[[GraphDatabase, MigrationInputs], Awaitable[str]]


async def _phones_to_e164(db: GraphDatabase, inputs: MigrationInputs) -> str:
    return (await renormalise_phones(db, inputs.phone_region, inputs.progress)).summary()


async def _search_names(db: GraphDatabase, inputs: MigrationInputs) -> str:
    return f"{await backfill_search_names(db, progress=inputs.progress)} search names written"


async def _joined_journeys(db: GraphDatabase, inputs: MigrationInputs) -> str:
    return f"{await backfill_joined_journeys(db)} merge records' joined journeys recorded"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[LiteralString, ...]
    data_step: DataStep | None = None


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "unique keys of the customer graph",
        (
            "CREATE CONSTRAINT customer_id IF NOT EXISTS FOR (n:Customer) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT identity_key IF NOT EXISTS "
            "FOR (n:Identity) REQUIRE (n.kind, n.value) IS UNIQUE",
            "CREATE CONSTRAINT device_id IF NOT EXISTS FOR (n:Device) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT channel_code IF NOT EXISTS FOR (n:Channel) REQUIRE n.code IS UNIQUE",
            "CREATE CONSTRAINT store_id IF NOT EXISTS FOR (n:Store) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT product_sku IF NOT EXISTS FOR (n:Product) REQUIRE n.sku IS UNIQUE",
            "CREATE CONSTRAINT cart_id IF NOT EXISTS FOR (n:Cart) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT interaction_id IF NOT EXISTS "
            "FOR (n:Interaction) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT journey_id IF NOT EXISTS FOR (n:Journey) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT consent_id IF NOT EXISTS FOR (n:Consent) REQUIRE n.id IS UNIQUE",
        ),
    ),
    Migration(
        2,
        "look-up indexes",
        (
            "CREATE INDEX interaction_at IF NOT EXISTS FOR (n:Interaction) ON (n.at)",
            "CREATE INDEX interaction_type IF NOT EXISTS FOR (n:Interaction) ON (n.type)",
            "CREATE INDEX customer_display_name IF NOT EXISTS FOR (n:Customer) ON (n.displayName)",
            "CREATE INDEX cart_status IF NOT EXISTS FOR (n:Cart) ON (n.status)",
            "CREATE INDEX journey_status IF NOT EXISTS FOR (n:Journey) ON (n.status)",
            "CREATE INDEX product_category IF NOT EXISTS FOR (n:Product) ON (n.category)",
        ),
    ),
    Migration(
        3,
        "idempotency keys of writes",
        (
            "CREATE CONSTRAINT idempotency_key IF NOT EXISTS "
            "FOR (n:IdempotencyKey) REQUIRE n.key IS UNIQUE",
            "CREATE INDEX idempotency_expiry IF NOT EXISTS FOR (n:IdempotencyKey) ON (n.expiresAt)",
        ),
    ),
    Migration(
        4,
        "partners, their key hashes and the audit log",
        (
            "CREATE CONSTRAINT partner_id IF NOT EXISTS FOR (n:Partner) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT partner_key_hash IF NOT EXISTS "
            "FOR (n:Partner) REQUIRE n.keyHash IS UNIQUE",
            "CREATE CONSTRAINT audit_entry_id IF NOT EXISTS "
            "FOR (n:AuditEntry) REQUIRE n.id IS UNIQUE",
            "CREATE INDEX audit_entry_at IF NOT EXISTS FOR (n:AuditEntry) ON (n.at)",
        ),
    ),
    Migration(
        5,
        "idempotency keys by customer, for erasure",
        (
            "CREATE INDEX idempotency_customer IF NOT EXISTS "
            "FOR (n:IdempotencyKey) ON (n.customerId)",
        ),
    ),
    Migration(
        6,
        "audit entries by customer, for erasure and export",
        ("CREATE INDEX audit_entry_customer IF NOT EXISTS FOR (n:AuditEntry) ON (n.customerId)",),
    ),
    Migration(
        7,
        "identity conflicts by the other customer they name, for merges and erasure",
        (
            "CREATE INDEX identity_conflict_other IF NOT EXISTS "
            "FOR (n:IdentityConflict) ON (n.otherCustomerId)",
        ),
    ),
    Migration(
        8,
        "phone identities in E.164, duplicates of one number made one (graph/_phone_migration.py)",
        (),
        data_step=_phones_to_e164,
    ),
    Migration(
        9,
        "customers' search names (folded display names) for name search",
        (),
        data_step=_search_names,
    ),
    Migration(
        10,
        "a text index of customers' search names, for name search (graph/search.py)",
        (
            "CREATE TEXT INDEX customer_search_name IF NOT EXISTS "
            "FOR (n:Customer) ON (n.searchName)",
        ),
    ),
    Migration(
        11,
        "erasure records by the hash of the customer id, for an erasure and its replay",
        (
            "CREATE INDEX erasure_record_customer_hash IF NOT EXISTS "
            "FOR (n:ErasureRecord) ON (n.customerIdHash)",
        ),
    ),
    Migration(
        12,
        "interactions by type and by channel, each with its instant, for analytics' windows",
        (
            "CREATE INDEX interaction_type_at IF NOT EXISTS FOR (n:Interaction) ON (n.type, n.at)",
            "CREATE INDEX interaction_channel_at IF NOT EXISTS "
            "FOR (n:Interaction) ON (n.channel, n.at)",
        ),
    ),
    Migration(
        13,
        "ingested events known by channel and event id (graph/ingest.py), so that two systems "
        "may use one id; interactions from before keep their id in every channel",
        (
            "CREATE CONSTRAINT interaction_event_key IF NOT EXISTS "
            "FOR (n:Interaction) REQUIRE n.eventKey IS UNIQUE",
        ),
    ),
    Migration(
        14,
        "interactions by order, for an order's latest status (orderStatusChanged after a gap)",
        ("CREATE INDEX interaction_order IF NOT EXISTS FOR (n:Interaction) ON (n.orderId)",),
    ),
    Migration(
        15,
        "merge records by the id merged away, for a retry about that id (graph/consents.py)",
        ("CREATE INDEX merge_merged_id IF NOT EXISTS FOR (n:Merge) ON (n.mergedId)",),
    ),
    Migration(
        16,
        "erased orders by the hash of their id, for a live view of an order whose customer was "
        "erased (graph/erasure.py); erasures from before named no order, and nothing is left to "
        "name them by",
        (
            "CREATE CONSTRAINT erased_order_hash IF NOT EXISTS "
            "FOR (n:ErasedOrder) REQUIRE n.orderIdHash IS UNIQUE",
        ),
    ),
    Migration(
        17,
        "journeys a merge joined into another, by their id, for a retry about that id "
        "(graph/consents.py); merge records from before get theirs",
        ("CREATE INDEX joined_journey_id IF NOT EXISTS FOR (n:JoinedJourney) ON (n.id)",),
        data_step=_joined_journeys,
    ),
    Migration(
        18,
        "erased identities by the salted hash of their kind and value, so that ingest drops a "
        "channel's late events about an erased customer (graph/ingest.py); erasures from before "
        "kept no identity, and only an erased guest's first identifier (its id derives from it) "
        "is recognised from their records",
        (
            "CREATE CONSTRAINT erased_identity_hash IF NOT EXISTS "
            "FOR (n:ErasedIdentity) REQUIRE n.identityHash IS UNIQUE",
        ),
    ),
)

_MIGRATION_KEY: LiteralString = (
    "CREATE CONSTRAINT migration_version IF NOT EXISTS "
    "FOR (n:Migration) REQUIRE n.version IS UNIQUE"
)
# The lock's own key: without it two callers' MERGE would each create a lock node of their own.
_LOCK_KEY: LiteralString = (
    "CREATE CONSTRAINT migration_lock IF NOT EXISTS FOR (n:MigrationLock) REQUIRE n.name IS UNIQUE"
)
# Waits for the holder's transaction to end: on the unique key's entry when the node does not
# exist yet (it never outlives its transaction), on the node's write lock otherwise.
_TAKE_LOCK: LiteralString = (
    "MERGE (l:MigrationLock {name: 'migrations'}) SET l.takenAt = datetime()"
)
# The lock's transaction: named (SHOW TRANSACTIONS shows who holds it) and never timed out.
_LOCK_METADATA = {"app": "parcours", "purpose": "migration lock"}
_LOCK_NO_TIMEOUT = 0
# How long the lock may take before the wait is reported as such.
_LOCK_NOTICE_S = 2.0
_APPLIED: LiteralString = "MATCH (m:Migration) RETURN m.version AS version ORDER BY version"
_RECORD: LiteralString = (
    "MERGE (m:Migration {version: $version}) "
    "ON CREATE SET m.name = $name, m.appliedAt = datetime(), m.outcome = $outcome"
)
_AWAIT_INDEXES: LiteralString = "CALL db.awaitIndexes($timeout)"
# The statement outlives the procedure's own wait, whose timeout error is the clearer one.
_AWAIT_GRACE_S = 30
_INDEX_POPULATION: LiteralString = (
    "SHOW INDEXES YIELD name, type, state, populationPercent WHERE type <> 'LOOKUP' "
    "RETURN name, state, populationPercent AS percent ORDER BY name"
)
# Both counts come from the count store: instant however large the graph.
_DATA_NODES: LiteralString = (
    "CALL () { MATCH (n) RETURN count(n) AS nodes } "
    "CALL () { MATCH (m:Migration) RETURN count(m) AS migrations } "
    "RETURN nodes - migrations AS n"
)


@dataclass(frozen=True)
class IndexPopulation:
    """One index (or constraint's index) and how far its population has got."""

    name: str
    state: str
    percent: float


async def applied_versions(db: GraphDatabase) -> list[int]:
    rows = await db.read(_APPLIED)
    return [int(row["version"]) for row in rows]


async def migrate(
    db: GraphDatabase, timeout_s: int = 120, *, inputs: MigrationInputs | None = None
) -> list[Migration]:
    """Apply the migrations not yet recorded; return those applied now (empty when up to date).

    ``inputs``: what data steps depend on (the default phone region...), from the settings.
    Another caller migrating the same database meanwhile is waited for (module docstring).
    """
    await _create_key(db, _MIGRATION_KEY)
    await _create_key(db, _LOCK_KEY)
    given = inputs or MigrationInputs()
    async with _migration_lock(db, given.progress):
        return await _apply_missing(db, timeout_s, given)


async def _apply_missing(
    db: GraphDatabase, timeout_s: int, inputs: MigrationInputs
) -> list[Migration]:
    done = set(await applied_versions(db))
    applied: list[Migration] = []
    for migration in MIGRATIONS:
        if migration.version in done:
            continue
        for statement in migration.statements:
            await db.schema(statement)
        outcome = None
        if migration.data_step is not None:
            inputs.progress(f"migration {migration.version}: {migration.name}")
            outcome = await migration.data_step(db, inputs)
            inputs.progress(f"migration {migration.version}: {outcome}")
        params = {"version": migration.version, "name": migration.name, "outcome": outcome}
        await db.write(_RECORD, params)
        applied.append(migration)
    if applied:
        # Its own bound: the instance's statement timeout (10 s in a gateway) would cut the wait
        # for a new index over a big graph short and fail the start after the records are
        # written (the next start then goes ahead with the index still populating).
        await db.write(_AWAIT_INDEXES, {"timeout": timeout_s}, timeout_s=timeout_s + _AWAIT_GRACE_S)
    return applied


def _created_meanwhile(exc: BaseException) -> bool:
    """Another caller's ``CREATE ... IF NOT EXISTS`` of the same key won the race: Neo4j fails
    ours (transient, or "already exists" where the two overlapped); tried again, it is a no-op."""
    if isinstance(exc, TransientError):
        return True
    return isinstance(exc, ClientError) and "AlreadyExists" in (exc.code or "")


async def _create_key(db: GraphDatabase, statement: LiteralString) -> None:
    async for attempt in stamina.retry_context(on=_created_meanwhile, attempts=5, timeout=30):
        with attempt:
            await db.schema(statement)


@asynccontextmanager
async def _migration_lock(db: GraphDatabase, progress: Progress) -> AsyncIterator[None]:
    """Hold the migration lock while the block runs; released (rolled back) however it ends.

    Waiting for it past ``_LOCK_NOTICE_S`` is reported to ``progress``: another instance's data
    step may take minutes, and a start that says nothing meanwhile looks hung.
    """
    async with db.driver.session(database=db.database) as session:
        # No time limit of its own (0), whatever the server's `db.transaction.timeout`: since
        # Neo4j 5.3 a transaction's own timeout overrides the setting, above it too. With the
        # server's default, a data step outlasting it would lose the lock mid-migration.
        transaction = await session.begin_transaction(
            metadata=_LOCK_METADATA, timeout=_LOCK_NO_TIMEOUT
        )
        try:
            taking = asyncio.ensure_future(_take_lock(transaction))
            try:
                if not (await asyncio.wait({taking}, timeout=_LOCK_NOTICE_S))[0]:
                    progress(
                        "migrations: waiting for the migration lock (another instance applying "
                        "them, or a Neo4j slow to answer)"
                    )
                await taking
            finally:
                taking.cancel()
            yield
        finally:
            await transaction.close()


async def _take_lock(transaction: AsyncTransaction) -> None:
    await (await transaction.run(_TAKE_LOCK)).consume()


async def index_population(db: GraphDatabase) -> list[IndexPopulation]:
    """Every index but the token look-ups (which every database has) with its state and
    percentage: ``POPULATING``, ``ONLINE`` or ``FAILED``."""
    rows = await db.read(_INDEX_POPULATION)
    return [IndexPopulation(r["name"], r["state"], float(r["percent"])) for r in rows]


async def data_node_count(db: GraphDatabase) -> int:
    """How many nodes the graph holds besides the migrations' own records."""
    rows = await db.read(_DATA_NODES)
    return int(rows[0]["n"])
