"""Field-level access: Strawberry permission classes, one per scope.

A field outside the caller's scopes resolves to null with a FORBIDDEN error naming the scope (so
every guarded field is nullable). ``PiiRead`` also notes each personal field a partner reads, for
the audit log; ``Admin`` notes each admin action. ``CustomerWrite`` admits the customer a mutation
writes to (consent restriction) and applies the per-customer write limit.
"""

from __future__ import annotations

from typing import Any, ClassVar

import strawberry
from strawberry.permission import BasePermission

from graph import consents
from resolvers.access.guard import admit_customer
from resolvers.context import Context
from resolvers.errors import Forbidden

Info = strawberry.Info[Context, None]
# Identifier kinds whose values are personal data (the others are opaque ids).
PII_KINDS = frozenset({"EMAIL", "PHONE"})


def _customer_argument(kwargs: dict[str, Any]) -> str | None:
    for name in ("customer_id", "customerId", "id"):
        value = kwargs.get(name)
        if value is not None:
            return str(value)
    return None


def _owner(source: object) -> str | None:
    profile = getattr(source, "profile", None)
    if profile is not None:
        return str(profile.id)
    owner = getattr(source, "customer_id", None)
    return str(owner) if owner is not None else None


class _Scope(BasePermission):
    scope: ClassVar[str] = ""
    error_class = Forbidden

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.access.principal.has(self.scope)


class CustomerRead(_Scope):
    scope = "customer:read"
    message = "this field needs the `customer:read` scope"


class CartRead(_Scope):
    scope = "cart:read"
    message = "this field needs the `cart:read` scope"


class HistoryRead(_Scope):
    scope = "history:read"
    message = "this field needs the `history:read` scope"


class RecommendationsRead(_Scope):
    scope = "recommendations:read"
    message = "this field needs the `recommendations:read` scope"


class CartWrite(_Scope):
    scope = "cart:write"
    message = "this mutation needs the `cart:write` scope"


class JourneyWrite(_Scope):
    scope = "journey:write"
    message = "this mutation needs the `journey:write` scope"


class IdentityWrite(_Scope):
    scope = "identity:write"
    message = "this mutation needs the `identity:write` scope"


class ConsentWrite(_Scope):
    scope = "consent:write"
    message = "this mutation needs the `consent:write` scope"


class PiiRead(_Scope):
    """Personal data (names, emails, phones): ``pii:read``; each read by a partner is audited.

    On an identifier, only the values of PII kinds (email, phone) are guarded.
    """

    scope = "pii:read"
    message = "personal data needs the `pii:read` scope"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        kind = getattr(source, "kind", None)
        if kind is not None and getattr(kind, "name", "") not in PII_KINDS:
            return True
        if not super().has_permission(source, info, **kwargs):
            return False
        info.context.access.note("pii_read", _owner(source), info.field_name)
        return True


class Admin(_Scope):
    """Admin actions: ``admin``; each use by a partner is written to the audit log."""

    scope = "admin"
    message = "this field needs the `admin` scope"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if not super().has_permission(source, info, **kwargs):
            return False
        info.context.access.note("admin", _customer_argument(kwargs), info.field_name)
        return True


class CustomerWrite(BasePermission):
    """After the write scope: the customer must be visible to the caller, and under its write
    limit (RATE_LIMITED with ``retryAfter``). Only on async resolvers."""

    message = "this customer may not be written by this caller"
    error_class = Forbidden

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        access = info.context.access
        customer_id = _customer_argument(kwargs)
        if customer_id is not None:
            await admit_customer(access, info.context.consents, customer_id)
            await access.limit_write(customer_id)
            return True
        # By cart or journey: a restricted caller must be admitted to its owner; the write limit
        # counts per cart or journey (no owner look-up for callers without a restriction).
        target = str(kwargs.get("cart_id") or kwargs.get("journey_id") or "")
        if access.principal.required_consents:
            graph = info.context.graph
            if "cart_id" in kwargs:
                owner = await consents.cart_owner(graph, target)
            else:
                owner = await consents.journey_owner(graph, target)
            if owner is None:
                raise Forbidden("this cart or journey is not visible to this caller")
            await admit_customer(access, info.context.consents, owner)
        await access.limit_write(target)
        return True
