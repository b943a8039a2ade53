"""Who is calling: the principal the gateway authenticated, its scopes and consent purposes.

This module holds no I/O; the gateway builds principals from API keys and JWTs.
"""

from __future__ import annotations

from dataclasses import dataclass

# Every scope the schema checks; docs/architecture.md lists which field needs which.
SCOPES: tuple[str, ...] = (
    "customer:read",
    "pii:read",
    "cart:read",
    "cart:write",
    "history:read",
    "recommendations:read",
    "journey:write",
    "identity:write",
    "consent:write",
    "admin",
)
# A partner acting for one of these purposes sees only customers who granted it.
GATED_PURPOSES = frozenset({"marketing"})


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a partner, or the anonymous dev caller (``partner_id`` None).

    Example:
        >>> Principal("partner-1", frozenset({"customer:read"})).has("pii:read")
        False
    """

    partner_id: str | None
    scopes: frozenset[str]
    purposes: frozenset[str] = frozenset()
    customer_restriction: str | None = None

    @classmethod
    def dev(cls) -> Principal:
        """The caller of a dev gateway that allows anonymous access: every scope, no partner."""
        return cls(partner_id=None, scopes=frozenset(SCOPES))

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def is_partner(self) -> bool:
        return self.partner_id is not None

    @property
    def required_consents(self) -> frozenset[str]:
        """Purposes a customer must have granted for this caller to see them at all."""
        required = self.purposes & GATED_PURPOSES
        if self.customer_restriction:
            required |= {self.customer_restriction}
        return required
