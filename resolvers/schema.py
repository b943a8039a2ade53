"""The Parcours GraphQL schema: the root types assembled from each domain, and its extensions."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
)
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StreamResult
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from graph import RoundTripCounter, count_round_trips
from resolvers import scalars
from resolvers.access.extension import AuditTrail
from resolvers.access.fields import AccessMutations, AccessQueries
from resolvers.analytics.queries import AnalyticsQueries
from resolvers.carts.mutations import CartMutations
from resolvers.catalog.queries import CatalogQueries
from resolvers.checkout.mutations import CheckoutMutations
from resolvers.context import Context
from resolvers.customers.queries import CustomerQueries
from resolvers.customers.search import CustomerSearchQueries
from resolvers.document_limits import DocumentLimits
from resolvers.extensions import CodedErrors, Diagnostics, SourcesReport, caused_by_caller
from resolvers.fast_fields import BasicFieldsExecutionContext
from resolvers.identities.mutations import IdentityMutations
from resolvers.journeys.mutations import JourneyMutations
from resolvers.privacy.mutations import PrivacyMutations
from resolvers.privacy.queries import PrivacyQueries
from resolvers.realtime.subscriptions import Subscription
from resolvers.suggestions import HideSuggestions


@strawberry.type(description="Read the customer context.")
class Query(
    CustomerQueries,
    CustomerSearchQueries,
    CatalogQueries,
    PrivacyQueries,
    AnalyticsQueries,
    AccessQueries,
):
    pass


@strawberry.type(description="Change the customer context.")
class Mutation(
    CartMutations,
    CheckoutMutations,
    IdentityMutations,
    JourneyMutations,
    PrivacyMutations,
    AccessMutations,
):
    pass


class ParcoursSchema(strawberry.Schema):
    """Strawberry's schema, logging only the errors that are faults of ours.

    Strawberry logs every error of every request at ERROR with its traceback: a NOT_FOUND or a
    refused argument is an answer to the caller, not a fault, and logging it cost more than the
    request (hundreds of milliseconds with a rich traceback) and filled the logs.
    """

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        super().process_errors(
            [error for error in errors if not caused_by_caller(error)], execution_context
        )

    async def stream(  # noqa: PLR0917 - Strawberry's signature, passed on as is
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
    ) -> StreamResult:
        """Strawberry's ``stream``, each operation with its own context.

        graphql-transport-ws hands every operation of a connection the connection's one
        context: its loaders then cached answers for the connection's life, its source log
        mixed the channel calls and notices of one operation into the next, and its audit trail
        and Cypher round-trip counter were shared by operations running side by side.
        """
        if not isinstance(context_value, Context):
            return await super().stream(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                operation_extensions,
                allowed_operation_types,
            )
        context = context_value.for_operation()
        source = await super().stream(
            query,
            variable_values,
            context,
            root_value,
            operation_name,
            operation_extensions,
            allowed_operation_types,
        )
        return _counted(source, context.round_trips)


async def _counted(source: StreamResult, counter: RoundTripCounter) -> StreamResult:
    """``source``'s results, the Cypher statements sent while producing each (and closing it)
    counted in ``counter``: the round-trip counter travels in a ``ContextVar``, which over a
    WebSocket the connection's middleware set once for all its operations."""
    try:
        while True:
            with count_round_trips(counter):
                try:
                    result = await anext(source)
                except StopAsyncIteration:
                    return
            yield result
    finally:
        with count_round_trips(counter):
            await source.aclose()


class ReportedParserCache(ParserCache):
    """Strawberry's ``ParserCache``, leaving a document that does not parse to Strawberry.

    ``ParserCache`` parses in its ``on_parse`` hook, outside the error handling around
    Strawberry's own parse: ``Schema.execute`` (HTTP) still caught the syntax error, but
    ``Schema.stream`` (graphql-transport-ws) let it escape the operation, whose client got a bare
    ``complete``. Left unset, the document is parsed again by Strawberry, which reports the error
    (over the WebSocket: an ``error`` message coded GRAPHQL_PARSE_FAILED; the connection lives).
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        except GraphQLError:
            context.graphql_document = None
        yield


@dataclass(frozen=True)
class SchemaLimits:
    """Refuse oversized documents before any resolver runs."""

    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    diagnostics: bool = True
    # Hostile input (issue 6): fields selected once fragments are expanded, at the root and in
    # all (counted before validation); introspection and "Did you mean" suggestions (production
    # turns both off).
    max_root_fields: int = 20
    max_fields: int = 1000
    introspection: bool = True
    suggestions: bool = True
    # Performance (issue 7): the parser and validation caches; off only for the bench's naive
    # baseline.
    document_caches: bool = True
    # The short path for plain data fields (resolvers/fast_fields.py); off for the naive baseline.
    fast_fields: bool = True


def build_schema(
    limits: SchemaLimits | None = None,
    observers: Sequence[Callable[[], SchemaExtension]] = (),
) -> strawberry.Schema:
    """The executable schema, with caches and limits configured.

    ``observers`` (the gateway's metrics) come first, so they exit last and see the coded errors.

    Example:
        >>> "customerByIdentity" in str(build_schema())
        True
    """
    limits = limits or SchemaLimits()
    # Factories, not instances: Strawberry builds fresh extensions per request (the parser and
    # validation caches still share one module-level LRU each).
    rules: list[type[ASTValidationRule]] = [
        depth_rule(limits.max_depth, None, None),
        aliases_rule(limits.max_aliases),
    ]
    extensions: list[Callable[[], SchemaExtension]] = [
        *observers,
        CodedErrors,
        SourcesReport,
        AuditTrail,
        # Strawberry's QueryDepthLimiter and MaxAliasesLimiter rules, built once: those
        # extensions build a new rule class per request, which is part of the validation cache's
        # key, so with them every request missed the cache and was validated again.
        lambda: AddValidationRules(rules),
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        # Strawberry's ValidationCache, after field counts that spare oversized documents the
        # validation rules (size 0: validate every time).
        lambda: DocumentLimits(
            max_root_fields=limits.max_root_fields,
            max_fields=limits.max_fields,
            cache_size=256 if limits.document_caches else 0,
        ),
    ]
    if limits.document_caches:
        extensions.insert(-1, lambda: ReportedParserCache(maxsize=256))
    if limits.diagnostics:
        extensions.append(Diagnostics)
    if not limits.introspection:
        extensions.append(DisableIntrospection)
    if not limits.suggestions:
        extensions.append(HideSuggestions)
    return ParcoursSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        execution_context_class=BasicFieldsExecutionContext if limits.fast_fields else None,
        scalar_overrides=scalars.OVERRIDES,
        config=StrawberryConfig(disable_field_suggestions=not limits.suggestions),
    )
