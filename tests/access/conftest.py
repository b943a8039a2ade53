"""Fixtures of the access suite: a production gateway that requires credentials (HS256 and RS256
JWTs configured), partners created in the real graph, fresh customers with consents, and an
HTTP client that sends credentials and returns status and body."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from graph import GraphDatabase
from graph.partners import create_partner
from tests.conftest import Gateway, Services, running_gateway

ISSUER = "https://id.parcours.test"
AUDIENCE = "parcours-gateway"
HS_SECRET = "test-hs256-secret-" + "x" * 32


@dataclass(frozen=True)
class Keys:
    private: rsa.RSAPrivateKey
    public_pem: str


@pytest.fixture(scope="session")
def rsa_keys() -> Keys:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return Keys(private, public_pem)


def production_settings(services: Services, keys: Keys, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "env": "production",
        "jwt_secret": HS_SECRET,
        "jwt_public_key": keys.public_pem,
        "jwt_issuer": ISSUER,
        "jwt_audience": AUDIENCE,
        "migrate_on_start": False,
    }
    values.update(overrides)
    return services.settings(**values)


@pytest.fixture(scope="session")
async def secure_gateway(
    services: Services, graph: GraphDatabase, rsa_keys: Keys
) -> AsyncIterator[Gateway]:
    async with running_gateway(production_settings(services, rsa_keys)) as running:
        yield running


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    headers: Any

    @property
    def data(self) -> Any:
        return self.body.get("data")

    def codes(self) -> dict[str, str]:
        """Error codes by dotted path ("customer.displayName"), "" for request-level errors."""
        return {
            ".".join(str(p) for p in e.get("path") or []): e["extensions"]["code"]
            for e in self.body.get("errors") or []
        }


async def call(
    gateway: Gateway,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    key: str | None = None,
    token: str | None = None,
) -> Answer:
    headers = {}
    if key is not None:
        headers["X-API-Key"] = key
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    async with gateway.session.post(
        f"{gateway.url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
    ) as r:
        return Answer(r.status, await r.json(), r.headers)


def claims(sub: str, scope: str, **overrides: Any) -> dict[str, Any]:
    """Valid claims for partner ``sub`` (five minutes to live), with ``overrides``."""
    payload: dict[str, Any] = {
        "sub": sub,
        "scope": scope,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "exp": int(time.time()) + 300,
    }
    payload.update(overrides)
    return payload


def hs256(sub: str, scope: str, secret: str = HS_SECRET, **overrides: Any) -> str:
    return jwt.encode(claims(sub, scope, **overrides), secret, algorithm="HS256")


MakePartner = Callable[..., Awaitable[tuple[str, str]]]


@pytest.fixture
def make_partner(graph: GraphDatabase) -> MakePartner:
    """A new partner in the graph: returns its id and its API key."""

    async def make(
        *scopes: str, purposes: tuple[str, ...] = (), restriction: str | None = None
    ) -> tuple[str, str]:
        partner, key = await create_partner(
            graph, f"test-{uuid.uuid4().hex[:8]}", scopes, purposes, restriction
        )
        return partner.id, key

    return make


MakeCustomer = Callable[..., Awaitable[str]]


@pytest.fixture
async def make_customer(graph: GraphDatabase) -> AsyncIterator[MakeCustomer]:
    """A fresh customer with an email, a loyalty card and the given consents; removed after."""
    made: list[str] = []

    async def make(**consents: bool) -> str:
        customer = f"cus_acc_{uuid.uuid4().hex[:12]}"
        await graph.write(
            "CREATE (c:Customer {id: $id, displayName: 'Access Test', createdAt: datetime()}) "
            "CREATE (c)-[:IDENTIFIED_BY {since: datetime(), source: 'web', confidence: 1.0}]->"
            "(:Identity {kind: 'email', value: $email}) "
            "CREATE (c)-[:IDENTIFIED_BY {since: datetime(), source: 'store', confidence: 1.0}]->"
            "(:Identity {kind: 'loyalty_card', value: $card}) "
            "WITH c UNWIND $consents AS k "
            "CREATE (c)-[:CONSENTED]->(:Consent {id: $id + ':' + k.purpose, purpose: k.purpose, "
            "granted: k.granted, at: datetime(), source: 'web'})",
            {
                "id": customer,
                "email": f"{customer}@example.test",
                "card": f"LC{uuid.uuid4().hex[:10].upper()}",
                "consents": [{"purpose": p, "granted": g} for p, g in consents.items()],
            },
        )
        made.append(customer)
        return customer

    yield make
    await graph.write(
        "UNWIND $ids AS id MATCH (c:Customer {id: id}) "
        "OPTIONAL MATCH (c)-[:IDENTIFIED_BY|CONSENTED|DID|HAS_CART|ON_JOURNEY]->(n) "
        "DETACH DELETE c, n",
        {"ids": made},
    )


async def audit_entries(graph: GraphDatabase, partner_id: str) -> list[dict[str, Any]]:
    return await graph.read(
        "MATCH (e:AuditEntry {partnerId: $p}) RETURN e.action AS action, "
        "e.customerId AS customerId, e.fields AS fields ORDER BY e.at",
        {"p": partner_id},
    )
