"""The contact-centre simulator: a customer's tickets, call recordings and chat transcripts.

API (JSON; errors ``{"fault": "...", "message": "..."}``; the customer key is the contact-centre
id, identity kind ``contact_centre_id``, e.g. ``CC00000042``; an unknown one is a 404
``CUSTOMER_NOT_FOUND``):

- ``GET /cc/v2/customers/{ccId}/tickets?status=open|closed&page&pageSize`` → ``{"items":
  [{ticketId, subject, status, openedAt, updatedAt, channel: call|chat|email}], "page",
  "pageSize", "total"}``, most recently opened first, ties by ``ticketId`` (also descending)
- ``GET /cc/v2/tickets?customerIds=A,B&status=open|closed&page&pageSize`` (at most 20 ids, 400
  beyond): the tickets of several customers as one list, in the same order, each item with its
  ``customerId`` too, ``total`` over them all; an unknown id has no tickets, and a 404
  ``CUSTOMER_NOT_FOUND`` only when none of the ids is known
- ``GET /cc/v2/customers/{ccId}/calls?page&pageSize`` → the same envelope of ``{callId, at,
  durationSeconds, agent, ticketId, transcript: [{at, from: agent|customer, text}], eventId}``
- ``GET /cc/v2/customers/{ccId}/chats?page&pageSize`` → the same envelope of ``{chatId, at, agent,
  ticketId, transcript, eventId}``

Calls and chats are the dataset's call-centre and chat interactions (``eventId`` is the
interaction id); most of them opened a ticket; every known customer has at least one ticket.
Never imported by product code: the gateway reaches it over HTTP only.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from simulators._clock import iso
from simulators._config import SimulatorConfig
from simulators._dataset import HISTORY_END, Dataset, Row, SeededCustomer, load_dataset
from simulators._errors import SimulatorError
from simulators._pagination import PageRequest
from simulators._requests import bad_request, query_ids
from simulators._state import SeededState
from simulators._system import SystemSpec, build_app

TICKET_STATUSES = ("open", "closed")
MAX_CUSTOMERS_PER_CALL = 20
_AGENTS = ("Nadia", "Thomas", "Élodie", "Karim", "Chloé")
# (subject, what the customer says, what the agent answers)
_TOPICS = (
    ("Where is my order?", "My order still hasn't arrived, can you check?",
     "It left the warehouse yesterday; it should reach you within 48 hours."),
    ("Damaged item", "The {product} arrived damaged, I'd like to return it.",
     "Sorry about that. I've opened a return; a prepaid label is on its way by email."),
    ("Change delivery slot", "Can I move my delivery to Saturday morning?",
     "Done: you're booked for Saturday between 8 and 12."),
    ("Stock question", "Is the {product} in stock in my store?",
     "Yes, there are a few left; I can hold one for you for 24 hours."),
    ("Refund status", "I returned the {product} two weeks ago, where is my refund?",
     "The refund was issued today; allow 3 to 5 days for it to show."),
    ("Loyalty points", "Points from my last purchase are missing.",
     "I've added the missing points to your loyalty card."),
)  # fmt: skip


@dataclass
class Ticket:
    """A contact-centre ticket.

    Example:
        >>> from datetime import UTC
        >>> at = datetime(2026, 10, 1, tzinfo=UTC)
        >>> Ticket("TCK-0000001", "Refund status", "open", at, at, "chat").as_json()["openedAt"]
        '2026-10-01T00:00:00Z'
    """

    ticket_id: str
    subject: str
    status: str
    opened_at: datetime
    updated_at: datetime
    channel: str

    def as_json(self) -> dict[str, Any]:
        return {
            "ticketId": self.ticket_id,
            "subject": self.subject,
            "status": self.status,
            "openedAt": iso(self.opened_at),
            "updatedAt": iso(self.updated_at),
            "channel": self.channel,
        }


@dataclass
class CaseFile:
    """Everything the contact centre holds on one customer, newest first.

    Example:
        >>> CaseFile().tickets
        []
    """

    tickets: list[Ticket] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    chats: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ContactState:
    """Case files by contact-centre id.

    Example:
        >>> state = build_state(SimulatorConfig(customers=50))
        >>> all(case.tickets for case in state.case_files.values())
        True
    """

    case_files: dict[str, CaseFile]


def build_state(config: SimulatorConfig) -> ContactState:
    dataset = load_dataset(config.seed, config.customers)
    rng = random.Random(f"contact:{config.seed}")  # noqa: S311 - seeded demo data, not secrecy
    case_files: dict[str, CaseFile] = {}
    counter = _Counter()
    for customer in dataset.customers:
        cc_id = customer.identity("contact_centre_id")
        if cc_id is not None:
            case_files[cc_id] = _case_file(rng, dataset, customer, counter)
    return ContactState(case_files=case_files)


@dataclass
class _Counter:
    tickets: int = 0
    conversations: int = 0


def _case_file(
    rng: random.Random, dataset: Dataset, customer: SeededCustomer, counter: _Counter
) -> CaseFile:
    case_file = CaseFile()
    for interaction in customer.activity("call_centre", "chat"):
        kind = "call" if interaction["channel"] == "call_centre" else "chat"
        subject, asked, answered = rng.choice(_TOPICS)
        ticket = None
        if rng.random() < 0.65:
            ticket = _ticket(rng, counter, subject, interaction["at"], kind)
            case_file.tickets.append(ticket)
        product = rng.choice(dataset.products)["name"]
        counter.conversations += 1
        conversation = {
            f"{kind}Id": f"{kind.upper()}-{counter.conversations:07d}",
            "at": iso(interaction["at"]),
            "agent": rng.choice(_AGENTS),
            "ticketId": ticket.ticket_id if ticket else None,
            "transcript": _transcript(interaction["at"], asked.format(product=product), answered),
            "eventId": interaction["id"],
        }
        if kind == "call":
            conversation["durationSeconds"] = rng.randint(45, 900)
            case_file.calls.insert(0, conversation)
        else:
            case_file.chats.insert(0, conversation)
    if not case_file.tickets or rng.random() < 0.2:
        opened = HISTORY_END - timedelta(minutes=rng.randint(60, 150 * 24 * 60))
        case_file.tickets.append(_ticket(rng, counter, rng.choice(_TOPICS)[0], opened, "email"))
    case_file.tickets.sort(key=_newest_first, reverse=True)
    return case_file


def _newest_first(ticket: Ticket) -> tuple[datetime, str]:
    """The tickets' order (reversed): most recently opened first, ties by id (descending)."""
    return ticket.opened_at, ticket.ticket_id


def _ticket(
    rng: random.Random, counter: _Counter, subject: str, opened: datetime, channel: str
) -> Ticket:
    counter.tickets += 1
    updated = min(opened + timedelta(hours=rng.randint(0, 120)), HISTORY_END)
    settled = HISTORY_END - opened > timedelta(days=10)
    status = "closed" if settled and rng.random() < 0.9 else "open"
    return Ticket(f"TCK-{counter.tickets:07d}", subject, status, opened, updated, channel)


def _transcript(at: datetime, asked: str, answered: str) -> list[Row]:
    lines = (
        ("agent", "Hello, thanks for contacting Parcours. How can I help?"),
        ("customer", asked),
        ("agent", answered),
        ("customer", "Great, thank you."),
    )
    return [
        {"at": iso(at + timedelta(seconds=40 * n)), "from": speaker, "text": text}
        for n, (speaker, text) in enumerate(lines)
    ]


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"fault": code, "message": message}


STATE = web.AppKey[SeededState[ContactState]]("contact_state")
routes = web.RouteTableDef()


def _case_file_of(request: web.Request) -> CaseFile:
    cc_id = request.match_info["ccId"]
    case_file = request.app[STATE].current.case_files.get(cc_id)
    if case_file is None:
        raise SimulatorError(404, "CUSTOMER_NOT_FOUND", f"no customer with id {cc_id}")
    return case_file


def _status_filter(request: web.Request) -> str | None:
    status = request.query.get("status")
    if status is not None and status not in TICKET_STATUSES:
        raise bad_request("status must be open or closed")
    return status


@routes.get("/cc/v2/customers/{ccId}/tickets")
async def list_tickets(request: web.Request) -> web.Response:
    case_file = _case_file_of(request)
    page = PageRequest.from_query(request)
    status = _status_filter(request)
    tickets = [t for t in case_file.tickets if status is None or t.status == status]
    return web.json_response(page.envelope(tickets, Ticket.as_json))


@routes.get("/cc/v2/tickets")
async def list_tickets_of_customers(request: web.Request) -> web.Response:
    cc_ids = query_ids(request, "customerIds", at_most=MAX_CUSTOMERS_PER_CALL)
    page = PageRequest.from_query(request)
    status = _status_filter(request)
    case_files = request.app[STATE].current.case_files
    known = [cc_id for cc_id in cc_ids if cc_id in case_files]
    if not known:
        raise SimulatorError(404, "CUSTOMER_NOT_FOUND", f"no customer with id {', '.join(cc_ids)}")
    tickets = [
        (cc_id, ticket)
        for cc_id in known
        for ticket in case_files[cc_id].tickets
        if status is None or ticket.status == status
    ]
    tickets.sort(key=lambda row: _newest_first(row[1]), reverse=True)
    return web.json_response(
        page.envelope(tickets, lambda row: {**row[1].as_json(), "customerId": row[0]})
    )


@routes.get("/cc/v2/customers/{ccId}/calls")
async def list_calls(request: web.Request) -> web.Response:
    case_file = _case_file_of(request)
    return web.json_response(PageRequest.from_query(request).envelope(case_file.calls, dict))


@routes.get("/cc/v2/customers/{ccId}/chats")
async def list_chats(request: web.Request) -> web.Response:
    case_file = _case_file_of(request)
    return web.json_response(PageRequest.from_query(request).envelope(case_file.chats, dict))


SPEC = SystemSpec(
    name="contact",
    error_shape=error_body,
    state_key=STATE,
    build_state=build_state,
    routes=routes,
)


def create_app(config: SimulatorConfig | None = None) -> web.Application:
    """The contact-centre simulator, ready to serve (its state is built at start-up)."""
    return build_app(SPEC, config or SimulatorConfig())
