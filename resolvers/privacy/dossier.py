"""The export document: the graph's dossier on a customer and what each channel system returns.

Shared by the ``exportCustomer`` query and the downloadable ``GET /admin/customers/{id}/export``,
so both give the same document. A channel system that fails is listed as unavailable in the
document; it never fails the export. This module never writes anything.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from channels import ChannelSystems, Deadline
from channels.privacy import customer_records
from graph import GraphDatabase
from graph.erasure import customer_dossier

FORMAT = "parcours.customer-export/v1"


async def export_document(
    graph: GraphDatabase, systems: ChannelSystems, customer_id: str, budget_s: float
) -> dict[str, Any] | None:
    """Everything held on ``customer_id``, as one JSON-ready document; ``None`` when unknown."""
    dossier = await customer_dossier(graph, customer_id)
    if dossier is None:
        return None
    identifiers = [(str(i["kind"]), str(i["value"])) for i in dossier["identities"]]
    channels = await customer_records(systems, identifiers, Deadline.after(budget_s))
    return {
        "format": FORMAT,
        "customerId": customer_id,
        "generatedAt": datetime.now(UTC).isoformat(),
        "graph": dossier,
        "channels": {name: records.as_json() for name, records in sorted(channels.items())},
        "unavailableChannels": sorted(n for n, r in channels.items() if not r.available),
    }
