"""The typed request context every resolver receives, built fresh by the gateway per request."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from strawberry.dataloader import DataLoader

from channels import ChannelSystems
from graph import GraphDatabase, RoundTripCounter
from graph.analytics import AnalyticsPolicy
from graph.consents import Consent
from graph.context import ContextRequest, CustomerContext
from graph.identities import DEFAULT_PHONE_REGION
from graph.shared_reads import SharedReads
from graph.stitching import StitchPolicy
from resolvers.access.guard import Access, consent_loader
from resolvers.analytics.loaders import AnalyticsLoaders
from resolvers.identities.loaders import IdentityLoaders
from resolvers.live.loaders import ChannelBudget, LiveLoaders
from resolvers.live.sources import SourceLog
from resolvers.loaders import Loaders
from resolvers.privacy.ports import CachePurge
from resolvers.realtime.ports import EventBus, NoEventBus, ProfileCache


@dataclass
class Context:
    """What one GraphQL request may use: the graph, the channel systems, loaders and limits.

    ``channel_budget_s`` bounds all the channel calls of the request together (from the first
    one), so a slow system degrades its own fields instead of holding the whole answer.

    Example:
        >>> def resolve(info: "strawberry.Info[Context, None]") -> str:
        ...     return info.context.request_id
    """

    graph: GraphDatabase
    systems: ChannelSystems
    channel_budget_s: float
    request_id: str
    max_page_size: int
    round_trips: RoundTripCounter
    stitch_policy: StitchPolicy = field(default_factory=StitchPolicy)
    # Where a phone written without its country code is read (every instance reads the same).
    phone_region: str = DEFAULT_PHONE_REGION
    sources: SourceLog = field(default_factory=SourceLog)
    # Real time (issue 5): where writes publish, the cached read path, and (over a WebSocket)
    # the connection_init payload Strawberry hands us.
    events: EventBus = field(default_factory=NoEventBus)
    profile_cache: ProfileCache | None = None
    connection_params: dict[str, object] | None = None
    # Performance (issue 7): False only in the bench's naive baseline (one load, one statement).
    batch_loads: bool = True
    # The context statements shared with concurrent requests (graph/shared_reads.py); None: each
    # request reads its own.
    context_reads: SharedReads[ContextRequest, CustomerContext] | None = None
    # GDPR (issue 6): erasure purges the Redis caches through this port.
    cache_purge: CachePurge | None = None
    # Analytics (issue 8): forced-contact window, systems' channels and teams.
    analytics_policy: AnalyticsPolicy = field(default_factory=AnalyticsPolicy)
    # Access (issue 6): the caller, what it may see, its audit trail and write limit.
    access: Access = field(default_factory=Access)
    loaders: Loaders = field(init=False)
    live: LiveLoaders = field(init=False)
    identity_records: IdentityLoaders = field(init=False)
    consents: DataLoader[str, tuple[Consent, ...]] = field(init=False)
    analytics: AnalyticsLoaders = field(init=False)

    def __post_init__(self) -> None:
        self._build()

    def for_operation(self) -> Context:
        """A context for one operation of a WebSocket connection: its own loaders, channel
        budget, source log, audit trail and Cypher round-trip counter (what a request over HTTP
        gets; the connection's counter still totals them), sharing the connection's caller
        (whose principal the transport updates), parameters and request id."""
        return replace(
            self,
            sources=SourceLog(),
            access=self.access.for_operation(),
            round_trips=RoundTripCounter(parent=self.round_trips),
        )

    def renew(self) -> None:
        """Fresh loaders, channel budget and source log: a subscription keeps its operation's
        context for its whole life, so each of its results starts from a clean slate."""
        self.sources = SourceLog()
        self._build()

    def _build(self) -> None:
        self.loaders = Loaders(
            self.graph, self.profile_cache, batch=self.batch_loads, context_reads=self.context_reads
        )
        self.identity_records = IdentityLoaders(self.graph)
        self.consents = consent_loader(self.graph)
        self.analytics = AnalyticsLoaders(self.graph, self.analytics_policy)
        self.live = LiveLoaders(self.systems, ChannelBudget(self.channel_budget_s), self.sources)
