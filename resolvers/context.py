"""The typed request context every resolver receives, built fresh by the gateway per request."""

from __future__ import annotations

from dataclasses import dataclass, field

from graph import GraphDatabase, RoundTripCounter
from resolvers.loaders import Loaders


@dataclass
class Context:
    """What one GraphQL request may use: the graph, its loaders and its limits.

    Example:
        >>> def resolve(info: "strawberry.Info[Context, None]") -> str:
        ...     return info.context.request_id
    """

    graph: GraphDatabase
    request_id: str
    max_page_size: int
    round_trips: RoundTripCounter
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.graph)
