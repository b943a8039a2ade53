"""The one door to Neo4j: reads as auto-commit statements, writes as retried transaction functions.

Every statement that passes through here is a module-level constant with ``$parameters``; this
module never builds Cypher from input. It must not import the gateway or the resolvers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any, Literal, LiteralString, TypeVar

import neo4j

from graph._round_trips import record_round_trip

T = TypeVar("T")
Row = dict[str, Any]
_READ_ATTEMPTS = 2
# How long past its server-side timeout a statement may go unanswered before the client gives up
# on the connection. The project's Neo4j sends no `connection.recv_timeout_seconds` hint
# (gateway/services/_neo4j.py), so the driver arms no socket read timeout of its own (that one
# costs a task and a timer per socket read, ≈ 0.2 ms of CPU per statement): these timers bound
# every exchange instead, one per call.
STALL_GRACE_S = 2.0
# A transaction function (several statements, the driver's retries) or a schema statement is
# given at least this long: what the driver's read timeout allowed with Neo4j's default hint.
_LONG_EXCHANGE_S = 120.0
# How long a statement waits for a pool connection, opening one (its Bolt handshake) included.
ACQUISITION_TIMEOUT_S = 10.0
# How long the driver tries a transaction function again after its first failure: its own default.
DRIVER_RETRY_TIME_S = 30.0
# Wraps each statement (kind: read, write, transaction, schema; the Cypher text): where the
# gateway opens a trace span when tracing is on. Must not raise and must not do I/O itself.
StatementHook = Callable[[str, str], AbstractContextManager[None]]


def _no_span(kind: str, statement: str) -> AbstractContextManager[None]:
    return contextlib.nullcontext()


# Neo4j's codes for a transaction stopped at its timeout (...TimedOut, and
# ...TimedOutClientConfiguration, the one a statement's own timeout gives), and for a lock wait
# ended because its transaction was stopped (a write kept waiting on a lock past the timeout).
_STOPPED_CODES = (
    "Neo.ClientError.Transaction.TransactionTimedOut",
    "Neo.ClientError.Transaction.LockClientStopped",
)


def unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says Neo4j could not answer in time or at all (unreachable, no free
    connection in the pool, a statement stopped at its timeout, a transient failure): nothing
    wrong with what was asked, and the same request may succeed shortly.

    Example:
        >>> unavailable(TimeoutError()), unavailable(ValueError())
        (True, False)
    """
    if isinstance(
        exc,
        TimeoutError
        | neo4j.exceptions.ServiceUnavailable
        | neo4j.exceptions.SessionExpired
        | neo4j.exceptions.TransientError
        # No connection of the pool came free within `connection_acquisition_timeout`.
        | neo4j.exceptions.ConnectionAcquisitionTimeoutError,
    ):
        return True
    return isinstance(exc, neo4j.exceptions.Neo4jError) and (exc.code or "").startswith(
        _STOPPED_CODES
    )


class _RolledBack(Exception):
    """A write statement's rows, carried out of the transaction function that rolled it back."""

    def __init__(self, rows: list[Row]) -> None:
        super().__init__("rolled back")
        self.rows = rows


class GraphDatabase:
    """An async Neo4j driver bound to one database, with round-trip accounting.

    Example:
        >>> async def names(db: GraphDatabase) -> list[str]:
        ...     rows = await db.read("MATCH (p:Product) RETURN p.name AS name LIMIT $n", {"n": 3})
        ...     return [row["name"] for row in rows]
    """

    def __init__(
        self, driver: neo4j.AsyncDriver, database: str = "neo4j", query_timeout_s: float = 10.0
    ) -> None:
        self.driver = driver
        self.database = database
        self.query_timeout_s = query_timeout_s
        self.stall_grace_s = STALL_GRACE_S
        self.statement_hook: StatementHook = _no_span

    @classmethod
    def connect(
        cls,
        uri: str,
        auth: tuple[str, str] | None,
        database: str = "neo4j",
        query_timeout_s: float = 10.0,
        pool_size: int = 50,
        *,
        connection_timeout_s: float = 5.0,
    ) -> GraphDatabase:
        """A driver for ``uri``. ``connection_timeout_s`` bounds a new connection's TCP connect
        (a Neo4j whose host drops the packets costs each attempt this long; its Bolt handshake
        is bounded by the acquisition timeout instead): the gateway passes its setting (1 s),
        the CLI's commands keep 5 s."""
        driver = neo4j.AsyncGraphDatabase.driver(
            uri,
            auth=auth,
            max_connection_pool_size=pool_size,
            connection_timeout=connection_timeout_s,
            connection_acquisition_timeout=ACQUISITION_TIMEOUT_S,
            # "The property `outcome` does not exist": routine in a graph whose optional
            # properties appear with the data (an analytics read before any webhook sent an
            # outcome, migration 9 on a graph without search names), and logged as a warning on
            # every such statement. Typos in our statements are the tests' to catch.
            notifications_disabled_classifications=[
                neo4j.NotificationDisabledClassification.UNRECOGNIZED
            ],
        )
        return cls(driver, database, query_timeout_s)

    async def close(self) -> None:
        await self.driver.close()

    def sharing(self, query_timeout_s: float) -> GraphDatabase:
        """The same driver (and pool) with another default statement timeout and no statement
        hook (its statements are not traced); closing the original closes both."""
        return GraphDatabase(self.driver, self.database, query_timeout_s)

    async def read(
        self,
        query: LiteralString,
        params: Mapping[str, Any] | None = None,
        timeout_s: float | None = None,
        *,
        maps_only: bool = False,
    ) -> list[Row]:
        """Run one read statement on a reader and return its rows as dicts.

        ``maps_only``: the statement returns maps, lists and scalars only (no node, relationship
        or path), so its rows are taken as the driver decoded them, without ``Record.data()``'s
        walk over every nested value (which only turns graph entities into dicts): for the home
        screen's statement, about 0.4 of its 2.2 ms of client CPU.
        """
        return await self._execute("read", query, params, timeout_s, maps_only=maps_only)

    async def write(
        self,
        query: LiteralString,
        params: Mapping[str, Any] | None = None,
        timeout_s: float | None = None,
    ) -> list[Row]:
        """Run one write statement as a retried (hence idempotent-by-design) transaction."""
        return await self._execute("write", query, params, timeout_s)

    async def write_if(
        self,
        query: LiteralString,
        params: Mapping[str, Any] | None,
        keep: Callable[[list[Row]], bool],
        timeout_s: float | None = None,
    ) -> list[Row]:
        """Run one write statement as :meth:`write` does, but commit it only when ``keep`` says
        so of its rows: otherwise roll it back, so a statement that takes a lock by writing (and
        then decides to change nothing) leaves no write behind, and return the rows all the same.
        A rollback is one exchange with Neo4j, as a commit is.

        Example:
            >>> async def bump_unless_zero(db: GraphDatabase) -> list[Row]:
            ...     return await db.write_if(
            ...         "MATCH (n:Counter) SET n.value = n.value + 1 RETURN n.value AS value",
            ...         None,
            ...         keep=lambda rows: bool(rows) and rows[0]["value"] > 1,
            ...     )
        """
        return await self._execute("write", query, params, timeout_s, keep=keep)

    async def _execute(
        self,
        kind: Literal["read", "write"],
        query: LiteralString,
        params: Mapping[str, Any] | None,
        timeout_s: float | None,
        *,
        maps_only: bool = False,
        keep: Callable[[list[Row]], bool] | None = None,
    ) -> list[Row]:
        record_round_trip()
        server_timeout = timeout_s or self.query_timeout_s
        statement = neo4j.Query(query, timeout=server_timeout)

        async def rows_kept(result: neo4j.AsyncResult) -> list[Row]:
            # Called inside the driver's transaction function: raising here rolls it back.
            rows = await result.data()
            if keep is not None and not keep(rows):
                raise _RolledBack(rows)
            return rows

        with self.statement_hook(kind, query):
            async with asyncio.timeout(server_timeout + self.stall_grace_s):
                if kind == "read":
                    return await self._auto_commit_read(statement, dict(params or {}), maps_only)
                try:
                    return await self.driver.execute_query(
                        statement,
                        dict(params or {}),
                        routing_=neo4j.RoutingControl.WRITE,
                        database_=self.database,
                        result_transformer_=rows_kept,
                    )
                except _RolledBack as rolled_back:
                    return rolled_back.rows

    async def _auto_commit_read(
        self, statement: neo4j.Query, params: dict[str, Any], maps_only: bool
    ) -> list[Row]:
        """One read as an auto-commit transaction: RUN and PULL, no BEGIN or COMMIT to wait
        for (a managed transaction costs one more exchange per read). It shares the bookmarks
        of ``execute_query``, so it still sees this instance's earlier writes in a cluster, and is
        tried once more when the driver calls the failure retryable (a leader switch, say): a
        read has no effect to repeat."""
        for attempt in range(_READ_ATTEMPTS):
            try:
                async with self.driver.session(
                    database=self.database,
                    default_access_mode=neo4j.READ_ACCESS,
                    bookmark_manager=self.driver.execute_query_bookmark_manager,
                ) as session:
                    result = await session.run(statement, params)
                    if maps_only:
                        return [
                            dict(zip(record.keys(), record.values(), strict=True))
                            async for record in result
                        ]
                    return await result.data()
            except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as exc:
                if attempt + 1 == _READ_ATTEMPTS or not exc.is_retryable():
                    raise
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    async def transaction(
        self,
        work: Callable[[neo4j.AsyncManagedTransaction], Awaitable[T]],
        *,
        max_retry_time_s: float = DRIVER_RETRY_TIME_S,
        acquisition_timeout_s: float | None = None,
    ) -> T:
        """Run ``work`` as a write transaction function; the driver retries transient errors.

        The driver starts no new attempt once ``max_retry_time_s`` have passed since the first
        failure (waiting about 1, 2, 4, 8, 16 s between attempts): a caller that must answer
        soon (a webhook's sender waits for it) bounds it lower, and may bound how long each
        attempt waits for a connection, ``acquisition_timeout_s`` (the driver's 10 s otherwise):
        that includes opening one, whose Bolt handshake only this deadline bounds, so a Neo4j
        that accepts connections and never answers costs an attempt this long.
        """
        record_round_trip()
        name = getattr(work, "__qualname__", "transaction")
        with self.statement_hook("transaction", name):
            async with (
                asyncio.timeout(self._long_exchange_s()),
                self.driver.session(
                    database=self.database,
                    max_transaction_retry_time=max_retry_time_s,
                    connection_acquisition_timeout=acquisition_timeout_s or ACQUISITION_TIMEOUT_S,
                ) as session,
            ):
                return await session.execute_write(work)

    async def schema(self, statement: LiteralString) -> None:
        """Run one schema statement (constraints, indexes) in its own auto-commit transaction."""
        record_round_trip()
        async with (
            asyncio.timeout(self._long_exchange_s()),
            self.driver.session(database=self.database) as session,
        ):
            result = await session.run(statement)
            await result.consume()

    def _long_exchange_s(self) -> float:
        return max(_LONG_EXCHANGE_S, self.query_timeout_s + self.stall_grace_s)

    async def ping(self) -> None:
        """Raise unless Neo4j answers ``RETURN 1`` right now."""
        await self.read("RETURN 1 AS ok")
