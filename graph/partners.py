"""Partners and their API keys, in the graph: create, find by key hash or id, list, revoke.

A key is shown once, at creation; the graph keeps only its SHA-256. The key carries 256 bits from
``secrets.token_urlsafe(32)``, so a fast unsalted hash is safe here: salting and slow hashing
(bcrypt, argon2) defend low-entropy passwords against guessing, and nobody can enumerate 2**256
keys. A fast hash also lets the gateway find a partner by the hash of the presented key in one
indexed look-up. This module never imports the gateway or the resolvers.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, LiteralString

from graph import _rows
from graph.database import GraphDatabase

KEY_PREFIX = "prc_"
MAX_LIST = 500


@dataclass(frozen=True, slots=True)
class Partner:
    """A partner application: what it may read and write, and for which purposes."""

    id: str
    name: str
    key_hash: str
    scopes: tuple[str, ...]
    purposes: tuple[str, ...]
    customer_restriction: str | None
    created_at: datetime
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def new_api_key() -> str:
    """A fresh key: the recognisable prefix then 43 URL-safe characters (256 random bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The SHA-256 (hex) a key is stored and looked up under.

    Example:
        >>> len(hash_key("prc_example"))
        64
    """
    return hashlib.sha256(key.encode()).hexdigest()


# All properties: revokedAt and customerRestriction are absent until set.
_FIELDS: LiteralString = "p {.*} AS partner"
_CREATE: LiteralString = (
    "CREATE (p:Partner {id: $id, name: $name, keyHash: $keyHash, scopes: $scopes, "
    "purposes: $purposes, customerRestriction: $restriction, createdAt: datetime()}) "
    "RETURN " + _FIELDS
)
_BY_KEY_HASH: LiteralString = "MATCH (p:Partner {keyHash: $keyHash}) RETURN " + _FIELDS
_BY_ID: LiteralString = "MATCH (p:Partner {id: $id}) RETURN " + _FIELDS
_LIST: LiteralString = (
    "MATCH (p:Partner) RETURN " + _FIELDS + " ORDER BY p.createdAt, p.id LIMIT $n"
)
_REVOKE: LiteralString = (
    "MATCH (p:Partner {id: $id}) SET p.revokedAt = coalesce(p.revokedAt, datetime()) "
    "RETURN " + _FIELDS
)


def partner_from_row(row: dict[str, Any]) -> Partner:
    """A partner from its stored (or cached, JSON) properties."""
    revoked = row.get("revokedAt")
    return Partner(
        id=row["id"],
        name=row["name"],
        key_hash=row["keyHash"],
        scopes=tuple(row.get("scopes") or ()),
        purposes=tuple(row.get("purposes") or ()),
        customer_restriction=row.get("customerRestriction"),
        created_at=_rows.to_datetime(row["createdAt"]),
        revoked_at=_rows.to_datetime(revoked) if revoked else None,
    )


def partner_to_row(partner: Partner) -> dict[str, Any]:
    """``partner`` as a JSON-ready dict; :func:`partner_from_row` gives it back."""
    return {
        "id": partner.id,
        "name": partner.name,
        "keyHash": partner.key_hash,
        "scopes": list(partner.scopes),
        "purposes": list(partner.purposes),
        "customerRestriction": partner.customer_restriction,
        "createdAt": partner.created_at.isoformat(),
        "revokedAt": partner.revoked_at.isoformat() if partner.revoked_at else None,
    }


async def create_partner(
    db: GraphDatabase,
    name: str,
    scopes: tuple[str, ...],
    purposes: tuple[str, ...] = (),
    customer_restriction: str | None = None,
) -> tuple[Partner, str]:
    """A new partner and its API key (the only time the key exists in clear)."""
    key = new_api_key()
    rows = await db.write(
        _CREATE,
        {
            "id": f"partner-{uuid.uuid4().hex[:12]}",
            "name": name,
            "keyHash": hash_key(key),
            "scopes": sorted(set(scopes)),
            "purposes": sorted(set(purposes)),
            "restriction": customer_restriction,
        },
    )
    return partner_from_row(rows[0]["partner"]), key


async def partner_by_key_hash(db: GraphDatabase, key_hash: str) -> Partner | None:
    rows = await db.read(_BY_KEY_HASH, {"keyHash": key_hash})
    return partner_from_row(rows[0]["partner"]) if rows else None


async def partner_by_id(db: GraphDatabase, partner_id: str) -> Partner | None:
    rows = await db.read(_BY_ID, {"id": partner_id})
    return partner_from_row(rows[0]["partner"]) if rows else None


async def list_partners(db: GraphDatabase, limit: int = MAX_LIST) -> list[Partner]:
    rows = await db.read(_LIST, {"n": min(max(limit, 1), MAX_LIST)})
    return [partner_from_row(row["partner"]) for row in rows]


async def revoke_partner(db: GraphDatabase, partner_id: str) -> Partner | None:
    """Mark the partner revoked (idempotent: the first revocation time stays); None if unknown."""
    rows = await db.write(_REVOKE, {"id": partner_id})
    return partner_from_row(rows[0]["partner"]) if rows else None
