"""Authentication through HTTP on a production gateway: API keys, HS256 and RS256 JWTs; every bad,
expired, forged, mis-addressed or revoked credential is a 401 UNAUTHENTICATED."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import structlog
from cryptography.hazmat.primitives.asymmetric import rsa
from redis.asyncio import Redis

from gateway.auth import forget_partner
from gateway.services import free_port
from graph import GraphDatabase
from graph.partners import partner_by_id, revoke_partner
from tests.access.conftest import (
    AUDIENCE,
    HS_SECRET,
    ISSUER,
    Keys,
    MakePartner,
    call,
    claims,
    hs256,
    production_settings,
)
from tests.conftest import Gateway, Services, running_gateway
from tests.fixture_dataset import ALICE

WHO = f'{{ customer(id: "{ALICE}") {{ id }} }}'


def _unauthenticated(answer) -> None:
    assert answer.status == 401, answer
    assert answer.codes() == {"": "UNAUTHENTICATED"}
    assert answer.data is None
    # RFC 9110 §15.5.2: a 401 MUST carry a challenge.
    assert answer.headers.get("WWW-Authenticate", "").startswith('Bearer realm="parcours"')


async def test_production_refuses_a_request_without_credentials(secure_gateway: Gateway):
    _unauthenticated(await call(secure_gateway, WHO))


async def test_dev_allows_anonymous_callers_unless_told_not_to(
    gateway: Gateway, services: Services, graph: GraphDatabase
):
    anonymous = await call(gateway, WHO)
    assert anonymous.status == 200
    assert anonymous.data == {"customer": {"id": ALICE}}
    async with running_gateway(
        services.settings(allow_anonymous=False, migrate_on_start=False)
    ) as strict:
        _unauthenticated(await call(strict, WHO))


async def test_an_api_key_authenticates_and_unknown_or_malformed_keys_do_not(
    secure_gateway: Gateway, make_partner: MakePartner
):
    _, key = await make_partner("customer:read")
    answer = await call(secure_gateway, WHO, key=key)
    assert answer.status == 200
    assert answer.data == {"customer": {"id": ALICE}}
    _unauthenticated(await call(secure_gateway, WHO, key=key[:-2] + "xx"))
    _unauthenticated(await call(secure_gateway, WHO, key="not-a-key"))


async def test_a_bad_key_is_refused_in_dev_too(gateway: Gateway):
    """Dev allows no credentials at all, never wrong ones."""
    _unauthenticated(await call(gateway, WHO, key="prc_" + "A" * 43))


async def test_a_revoked_key_is_refused_at_once_despite_the_cache(
    secure_gateway: Gateway, make_partner: MakePartner, graph: GraphDatabase, services: Services
):
    partner_id, key = await make_partner("customer:read")
    assert (await call(secure_gateway, WHO, key=key)).status == 200  # now cached in Redis
    revoked = await revoke_partner(graph, partner_id)
    assert revoked is not None
    redis = Redis.from_url(services.redis.config.url)
    try:
        await forget_partner(redis, revoked)
    finally:
        await redis.aclose()
    _unauthenticated(await call(secure_gateway, WHO, key=key))
    token = hs256(partner_id, "customer:read")
    _unauthenticated(await call(secure_gateway, WHO, token=token))
    stored = await partner_by_id(graph, partner_id)
    assert stored is not None
    assert stored.revoked


async def test_hs256_and_rs256_tokens_authenticate(
    secure_gateway: Gateway, make_partner: MakePartner, rsa_keys: Keys
):
    partner_id, _ = await make_partner("customer:read")
    hs = await call(secure_gateway, WHO, token=hs256(partner_id, "customer:read"))
    assert hs.status == 200
    assert hs.data == {"customer": {"id": ALICE}}
    rs_token = jwt.encode(claims(partner_id, "customer:read"), rsa_keys.private, algorithm="RS256")
    rs = await call(secure_gateway, WHO, token=rs_token)
    assert rs.status == 200
    assert rs.data == {"customer": {"id": ALICE}}


async def test_expired_forged_and_misaddressed_tokens_are_refused(
    secure_gateway: Gateway, make_partner: MakePartner, rsa_keys: Keys
):
    partner_id, _ = await make_partner("customer:read")
    other_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bad_tokens = {
        "expired": hs256(partner_id, "customer:read", exp=int(time.time()) - 60),
        "forged HS256": hs256(partner_id, "customer:read", secret="another-secret-" + "y" * 32),
        "forged RS256": jwt.encode(
            claims(partner_id, "customer:read"), other_rsa, algorithm="RS256"
        ),
        "wrong issuer": hs256(partner_id, "customer:read", iss="https://evil.test"),
        "wrong audience": hs256(partner_id, "customer:read", aud="another-api"),
        "no expiry": jwt.encode(
            {"sub": partner_id, "scope": "customer:read", "iss": ISSUER, "aud": AUDIENCE},
            HS_SECRET,
            algorithm="HS256",
        ),
        "unsigned": jwt.encode(claims(partner_id, "customer:read"), None, algorithm="none"),
        "public key as HMAC secret": _hmac_with(rsa_keys.public_pem, partner_id),
        "unknown partner": hs256("partner-nobody", "customer:read"),
        "not a token": "abc.def.ghi",
    }
    for name, token in bad_tokens.items():
        answer = await call(secure_gateway, WHO, token=token)
        assert answer.status == 401, name
        assert answer.codes() == {"": "UNAUTHENTICATED"}, name


def _hmac_with(public_pem: str, partner_id: str) -> str:
    """The algorithm-confusion attack: an HS256 token keyed with the RS256 public key."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims(partner_id, "customer:read")).encode())
    signature = hmac.new(public_pem.encode(), f"{header}.{body}".encode(), hashlib.sha256)
    return f"{header}.{body}.{b64(signature.digest())}"


async def test_a_refused_token_is_named_in_the_challenge_and_missing_credentials_are_not(
    secure_gateway: Gateway, make_partner: MakePartner
):
    """RFC 6750 §3.1: ``invalid_token`` when a bearer token was sent and refused, no error code
    when the request carried no credentials at all."""
    partner_id, _ = await make_partner("customer:read")
    expired = hs256(partner_id, "customer:read", exp=int(time.time()) - 60)
    refused = await call(secure_gateway, WHO, token=expired)
    assert refused.headers["WWW-Authenticate"] == (
        'Bearer realm="parcours", error="invalid_token", error_description="the token has expired"'
    )
    missing = await call(secure_gateway, WHO)
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="parcours"'


async def test_a_partner_look_up_while_neo4j_is_unreachable_is_a_coded_json_503(
    services: Services, rsa_keys: Keys
):
    """The partner is not cached, so authenticating it needs Neo4j: down, that is our failure, not
    the caller's, answered as a GraphQL error with a code and the request id (the detail logged),
    never aiohttp's plain-text 500."""
    dead_port = free_port()
    settings = production_settings(services, rsa_keys, neo4j_uri=f"bolt://127.0.0.1:{dead_port}")
    key = "prc_" + "u" * 40  # well formed, never cached: the look-up goes to Neo4j
    token = hs256("partner-never-cached", "customer:read")
    async with running_gateway(settings) as gateway:
        for name, headers in [
            ("api key", {"X-API-Key": key}),
            ("jwt", {"Authorization": f"Bearer {token}"}),
        ]:
            with structlog.testing.capture_logs() as logs:
                async with gateway.session.post(
                    f"{gateway.url}/graphql",
                    json={"query": WHO},
                    headers={**headers, "X-Request-Id": f"auth-outage-{name.replace(' ', '-')}"},
                ) as response:
                    assert response.status == 503, name
                    assert response.content_type == "application/json", name
                    text = await response.text()
                    body = await response.json()
            assert body.get("data") is None, name
            [error] = body["errors"]
            assert error["extensions"] == {
                "code": "SERVICE_UNAVAILABLE",
                "requestId": f"auth-outage-{name.replace(' ', '-')}",
            }, name
            assert "try again" in error["message"], name
            assert str(dead_port) not in text, name
            assert "ServiceUnavailable" not in text, name
            [logged] = [line for line in logs if line["event"] == "authentication failed"]
            assert logged["log_level"] == "error", name
