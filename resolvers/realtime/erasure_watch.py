"""Ends a subscription whose customer is erased while it runs, on every gateway instance.

Two ways, because instances share only Redis and Neo4j: the erasure's announcement on the bus
(:class:`~resolvers.realtime.events.CustomerErased`) ends an idle subscription at once, and
before each result the graph is asked whether an erasure was recorded since the subscription
started, so an event already queued, or published by another instance just before the erasure,
is never shown once the erasure has answered (the record commits before it answers). The graph
is also asked at each resync, which stands in for an announcement lost with the events a feed
missed (an overflow, Redis unreachable when the erasure announced). An order's subscription
also watches the order itself: the erasure leaves a salted hash of each order id its customer
held, so one that never learnt the customer (its status rows were erased before it read them,
or it has none yet) ends too, as does one whose customer was merged into another since. Never
publishes, never holds an id longer than the subscription does.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph import GraphDatabase
from graph.erasure import customer_id_hash, latest_erasure_id, latest_order_erasure_id
from resolvers.errors import NotFound
from resolvers.realtime.events import CustomerErased
from resolvers.realtime.ports import FeedItem
from resolvers.realtime.rereads import reread


def customer_erased() -> NotFound:
    """The error that ends a subscription about an erased customer.

    Example:
        >>> customer_erased().extensions
        {'code': 'NOT_FOUND', 'reason': 'CUSTOMER_ERASED'}
    """
    return NotFound("the customer of this subscription was erased", reason="CUSTOMER_ERASED")


@dataclass
class ErasureWatch:
    """The customer a subscription is about, and their latest erasure when it started watching.

    Example:
        >>> async def show(watch: ErasureWatch, item: FeedItem) -> None:  # doctest: +SKIP
        ...     await watch.announced(item)  # NOT_FOUND when it announces the customer's erasure
        ...     await watch.check()  # NOT_FOUND when the graph recorded an erasure since
    """

    graph: GraphDatabase
    customer_id: str | None = None
    order_id: str | None = None
    _hash: str | None = None
    _found: str | None = None
    _order_found: str | None = None

    async def watch_order(self, order_id: str) -> None:
        """Watch the customer of ``order_id``, whoever they are, from now on. Called before the
        order's feed opens: an erasure after this read is one the subscription must end by."""
        self._order_found = await self._latest_for_order(order_id)
        self.order_id = order_id

    async def watch(self, customer_id: str | None) -> None:
        """Watch ``customer_id`` from now on (an order's customer is known once read)."""
        if customer_id is None or self.customer_id is not None:
            return
        self._found = await self._latest(customer_id)
        self.customer_id, self._hash = customer_id, customer_id_hash(customer_id)

    async def announced(self, item: FeedItem) -> None:
        """NOT_FOUND when ``item`` announces the erasure of the watched customer. An order's
        customer may be unknown here (or merged into the one erased): its watch asks the graph
        (one read per erasure announced; erasures are rare)."""
        if not isinstance(item, CustomerErased):
            return
        if item.customer_id_hash == self._hash:
            raise customer_erased()
        if self.order_id is not None:
            await self.check()

    async def check(self) -> None:
        """NOT_FOUND when the watched customer was erased since the watch began (asks the graph:
        the announcement may still be on its way to this instance)."""
        customer, order = self.customer_id, self.order_id
        if customer is not None and await self._latest(customer) != self._found:
            raise customer_erased()
        if order is not None and await self._latest_for_order(order) != self._order_found:
            raise customer_erased()

    async def _latest(self, customer_id: str) -> str | None:
        # As the subscriptions' other reads: shielded (a subscriber leaving mid-read must not
        # cancel the driver inside a query) and tried again past a Neo4j failure that may pass.
        graph = self.graph
        return await reread(lambda: latest_erasure_id(graph, customer_id), "erasure record")

    async def _latest_for_order(self, order_id: str) -> str | None:
        graph = self.graph
        return await reread(lambda: latest_order_erasure_id(graph, order_id), "erasure record")
