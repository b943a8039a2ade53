"""Helpers of the hostile suite: raw HTTP against a running gateway, and a canary write.

Requests here are built by hand (bytes, headers) because the point is what a client that does not
play by the rules can send; ``Raw`` keeps the status, media type and parsed JSON body together.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from graph import GraphDatabase
from tests.conftest import Gateway

GRAPHQL_RESPONSE = "application/graphql-response+json"


@dataclass(frozen=True)
class Raw:
    status: int
    content_type: str
    body: Any
    headers: dict[str, str]

    @property
    def errors(self) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = self.body.get("errors") or []
        return errors

    def codes(self) -> list[str]:
        return [e["extensions"]["code"] for e in self.errors]


async def send(
    gateway: Gateway,
    method: str = "POST",
    body: bytes | dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> Raw:
    raw = orjson.dumps(body) if isinstance(body, dict) else body
    # A BytesIO, as aiohttp asks for large bodies (raw bytes above 1 MiB warn).
    data = io.BytesIO(raw) if raw is not None else None
    sent = {"Content-Type": "application/json"} if isinstance(body, dict) else {}
    sent.update(headers or {})
    async with gateway.session.request(
        method, f"{gateway.url}/graphql", data=data, headers=sent, params=params
    ) as response:
        text = await response.read()
        try:
            parsed = orjson.loads(text) if text else None
        except orjson.JSONDecodeError:
            parsed = text.decode(errors="replace")
        headers = {key.title(): value for key, value in response.headers.items()}
        return Raw(response.status, response.content_type, parsed, headers)


@dataclass(frozen=True)
class CanaryWrite:
    """A mutation with a visible effect, to smuggle into refused requests: it must not land."""

    customer_id: str
    email: str

    @property
    def mutation(self) -> str:
        return (
            f'linkIdentity(customerId: "{self.customer_id}", kind: EMAIL, '
            f'value: "{self.email}", channel: WEB) {{ outcome }}'
        )

    def document(self, extra: str = "") -> str:
        return f"mutation {{ {self.mutation} {extra} }}"


async def new_customer(graph: GraphDatabase, prefix: str) -> str:
    customer_id = f"cus_{prefix}_{uuid.uuid4().hex[:12]}"
    await graph.write(
        "CREATE (:Customer {id: $id, displayName: 'Hostile', createdAt: datetime()})",
        {"id": customer_id},
    )
    return customer_id


async def landed(gateway: Gateway, canary: CanaryWrite) -> bool:
    body = await gateway.query(
        "query($v: String!) { customerByIdentity(kind: EMAIL, value: $v) { id } }",
        {"v": canary.email},
    )
    return body["data"]["customerByIdentity"] is not None
