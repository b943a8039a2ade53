"""The request's access state: its principal, the customers it may see, its audit trail and the
per-customer write limit.

Resolvers and permission classes go through :class:`Access`; the gateway hands in the principal
and a :class:`WriteLimiter` (Redis-backed). Audit records collect here during a request and are
written in one statement when it ends (``AuditTrail``). No Cypher and no Redis here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from strawberry.dataloader import DataLoader

from graph import ANONYMOUS_CALLER, GraphDatabase, audit, consents
from resolvers.access.principal import Principal
from resolvers.errors import Forbidden, ParcoursError


class RateLimited(ParcoursError):
    code = "RATE_LIMITED"


class WriteLimiter(Protocol):
    async def customer_write(self, principal: Principal, customer_id: str) -> int | None:
        """None when this write may go ahead, else the whole seconds (at least 1) to wait
        before retrying."""


class NoLimits:
    """A limiter that allows everything (contexts served without a gateway)."""

    async def customer_write(self, principal: Principal, customer_id: str) -> int | None:
        return None


@dataclass
class Caller:
    """Who is calling. One per HTTP request; over a WebSocket one per connection, shared by its
    operations, since the transport replaces the principal when it checks credentials again."""

    principal: Principal = field(default_factory=Principal.dev)


class Access:
    """What the caller may do in this operation, and what it read that must be audited.

    Example:
        >>> connection = Access(Principal.dev())
        >>> one, two = connection.for_operation(), connection.for_operation()
        >>> one.note_erased("cus_1", "h1")
        >>> connection.principal = Principal(partner_id="p1", scopes=frozenset())
        >>> two.erased, two.principal.partner_id
        ({}, 'p1')
    """

    def __init__(
        self,
        principal: Principal | None = None,
        limiter: WriteLimiter | None = None,
        *,
        caller: Caller | None = None,
    ) -> None:
        self.caller = caller if caller is not None else Caller(principal or Principal.dev())
        self.limiter: WriteLimiter = limiter if limiter is not None else NoLimits()
        self.pending: dict[tuple[str, str | None], set[str]] = {}
        # Customers this operation erased, by id, with the hash their audit entries carry.
        self.erased: dict[str, str] = {}

    @property
    def principal(self) -> Principal:
        return self.caller.principal

    @principal.setter
    def principal(self, principal: Principal) -> None:
        self.caller.principal = principal

    def for_operation(self) -> Access:
        """The same caller and write limiter, with an audit trail of its own (one operation of
        a WebSocket connection: another one ending must not take or rename its records)."""
        return Access(limiter=self.limiter, caller=self.caller)

    @property
    def key_scope(self) -> str:
        """Whose idempotency keys this request's writes use: the partner's own, or the anonymous
        caller's (a dev gateway's), so one partner's key never answers another's write."""
        partner = self.principal.partner_id
        return ANONYMOUS_CALLER if partner is None else partner

    def note(self, action: str, customer_id: str | None, field_name: str) -> None:
        """Remember an audited read or admin action (partners only; one entry per customer)."""
        if self.principal.is_partner:
            self.pending.setdefault((action, customer_id), set()).add(field_name)

    def note_erased(self, customer_id: str, customer_id_hash: str) -> None:
        """The customer was erased: this request's entries about them name only the hash, as
        the erasure made every earlier entry do (written at the end, they would bring it back)."""
        self.erased[customer_id] = customer_id_hash

    def take_records(self) -> list[audit.AuditRecord]:
        partner = self.principal.partner_id
        if partner is None:
            return []
        records = []
        for (action, customer_id), fields in self.pending.items():
            id_hash = self.erased.get(customer_id) if customer_id is not None else None
            records.append(
                audit.AuditRecord(
                    partner,
                    action,
                    None if id_hash is not None else customer_id,
                    tuple(sorted(fields)),
                    customer_id_hash=id_hash,
                )
            )
        self.pending = {}
        return records

    async def limit_write(self, customer_id: str) -> None:
        """RATE_LIMITED (with ``retryAfter`` seconds) when the customer's writes are over limit."""
        wait = await self.limiter.customer_write(self.principal, customer_id)
        if wait is not None:
            raise RateLimited("too many writes for this customer: retry later", retryAfter=wait)


def consent_loader(graph: GraphDatabase) -> DataLoader[str, tuple[consents.Consent, ...]]:
    async def load(ids: Sequence[str]) -> list[tuple[consents.Consent, ...]]:
        return await consents.consents_of(graph, ids)

    return DataLoader(load_fn=load)


async def admit_customer(
    access: Access,
    loader: DataLoader[str, tuple[consents.Consent, ...]],
    customer_id: str | None,
) -> None:
    """FORBIDDEN unless the customer granted every purpose the caller needs (see Principal).

    ``None`` is nobody (an unknown id or identifier): refused alike, so a restricted caller
    cannot tell who is a customer from who refused it (callers without a restriction pass). An
    id merged away is judged by its survivor's consents (the loader's, see graph.consents).
    """
    required = access.principal.required_consents
    if not required:
        return
    decisions = await loader.load(customer_id) if customer_id is not None else ()
    granted = {c.purpose for c in decisions if c.granted}
    if not required <= granted:
        raise not_consented(access)


def not_consented(access: Access) -> Forbidden:
    """The one refusal of a customer a restricted caller may not see, whoever they are (unknown,
    refusing, granting only some purposes, holding an identifier): it names every purpose the
    caller needs, never which of them the customer granted."""
    return Forbidden(
        "this customer has not consented to what this partner needs",
        purposes=sorted(access.principal.required_consents),
    )
