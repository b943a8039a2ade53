"""The customer's records held by channel systems: orders (OMS), tickets (contact centre), device
registrations (mobile backend), and store receipts not yet in the graph.

The customer's key in each system is one of their identities (email for the OMS, contact-centre
id, app install id, POS customer number); a customer without that identity simply has no records
there, which costs no call. A customer may hold several of a kind (a merge leaves the survivor
both emails): their orders and tickets are one list over all of them, asked in one call, never
the records of the first identity alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

import strawberry

from channels import contact, oms
from channels.records import DeviceRegistration as RegistrationRecord
from channels.records import Page, Receipt
from graph import IdentityKind, models
from resolvers.context import Context
from resolvers.live.federation import live_value
from resolvers.live.loaders import OrdersKey, TicketsKey
from resolvers.live.paging import ORDERS, decode_offset, encode_offset, page_window, tickets_list
from resolvers.live.types import DeviceRegistration, Order, Ticket, TicketStatus
from resolvers.pagination import Connection, Edge, PageInfo, check_first

R = TypeVar("R")
N = TypeVar("N")
Info = strawberry.Info[Context, None]


def identity_values(profile: models.CustomerProfile, kind: IdentityKind) -> list[str]:
    return [identity.value for identity in profile.identities if identity.kind is kind]


def identity_key(profile: models.CustomerProfile, kind: IdentityKind) -> tuple[str, ...]:
    """The customer's identities of ``kind``, sorted and once each: two requests about one
    customer make the same loader key (and the same stale-copy key)."""
    return tuple(sorted(set(identity_values(profile, kind))))


def _empty() -> Connection[N]:
    return Connection(
        edges=[],
        page_info=PageInfo(
            has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None
        ),
    )


def _page_connection(
    page: Page[R],
    list_name: str,
    window: tuple[int, int, int],
    convert: Callable[[R], N],
) -> Connection[N]:
    page_no, size, skip = window
    base = (page_no - 1) * size
    edges = [
        Edge(cursor=encode_offset(base + index, list_name), node=convert(item))
        for index, item in enumerate(page.items)
        if index >= skip
    ]
    last = base + len(page.items) - 1
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=last + 1 < page.total,
            has_previous_page=base + skip > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


def orders_key(
    profile: models.CustomerProfile, first: int, after: str | None, max_page_size: int
) -> tuple[OrdersKey, int] | None:
    """The OMS loader's key for this page of orders (of every email the customer holds), and how
    many of its items to skip; None when the customer has no email (no records there). Raises
    BadUserInput for a bad page or a cursor of another list. ``first`` may be up to
    ``max_page_size``; the page asked of the OMS holds at most the OMS's own limit (100), so a
    larger ``first`` gets at most that many orders, ``hasNextPage`` saying there are more."""
    size = check_first(first, max_page_size)
    offset = decode_offset(after, ORDERS)
    emails = identity_key(profile, IdentityKind.EMAIL)
    if not emails:
        return None
    page_no, size, skip = page_window(offset, min(size, oms.MAX_PAGE_SIZE))
    return (emails, page_no, size), skip


async def orders(
    info: Info, profile: models.CustomerProfile, first: int, after: str | None
) -> Connection[Order] | None:
    wanted = orders_key(profile, first, after, info.context.max_page_size)
    if wanted is None:
        return _empty()
    key, skip = wanted
    page = await live_value(info, info.context.live.orders.load(key))
    if page is None:
        return None
    return _page_connection(page, ORDERS, (key[1], key[2], skip), Order.from_record)


def tickets_key(
    profile: models.CustomerProfile,
    first: int,
    after: str | None,
    status: TicketStatus | None,
    max_page_size: int,
) -> tuple[TicketsKey, int] | None:
    """The contact centre loader's key for this page of tickets (of every contact-centre id the
    customer holds), and how many of its items to skip; None without a contact-centre id. Raises
    BadUserInput for a bad page or a cursor of another list (another ``status`` filter). A
    ``first`` above the contact centre's page limit (100) is paged as for :func:`orders_key`."""
    size = check_first(first, max_page_size)
    wanted_status = status.value if status else None
    offset = decode_offset(after, tickets_list(wanted_status))
    cc_ids = identity_key(profile, IdentityKind.CONTACT_CENTRE_ID)
    if not cc_ids:
        return None
    page_no, size, skip = page_window(offset, min(size, contact.MAX_PAGE_SIZE))
    return (cc_ids, wanted_status, page_no, size), skip


async def tickets(
    info: Info,
    profile: models.CustomerProfile,
    first: int,
    after: str | None,
    status: TicketStatus | None,
) -> Connection[Ticket] | None:
    wanted = tickets_key(profile, first, after, status, info.context.max_page_size)
    if wanted is None:
        return _empty()
    key, skip = wanted
    page = await live_value(info, info.context.live.tickets.load(key))
    if page is None:
        return None
    return _page_connection(page, tickets_list(key[1]), (key[2], key[3], skip), Ticket.from_record)


async def registration(
    info: Info, device_id: str, install_ids: tuple[str, ...]
) -> DeviceRegistration | None:
    """The mobile backend's record of this device, looked up by the customer's install ids."""

    async def lookup(install: str) -> tuple[RegistrationRecord, ...]:
        registrations = await live_value(info, info.context.live.devices.load(install))
        return registrations or ()

    found = await asyncio.gather(*(lookup(install) for install in install_ids))
    for registrations in found:
        for record in registrations:
            if record.device_id == device_id:
                return DeviceRegistration(
                    platform=record.platform,
                    push_enabled=record.push_enabled,
                    registered_at=record.registered_at,
                )
    return None


async def store_receipts(info: Info, profile: models.CustomerProfile) -> tuple[Receipt, ...]:
    """The customer's recent in-store receipts (empty without a POS number or when stores fail)."""
    numbers = identity_values(profile, IdentityKind.POS_CUSTOMER_NUMBER)
    if not numbers:
        return ()

    async def lookup(number: str) -> tuple[Receipt, ...]:
        receipts = await live_value(info, info.context.live.receipts.load(number))
        return receipts or ()

    found = await asyncio.gather(*(lookup(number) for number in numbers))
    return tuple(receipt for receipts in found for receipt in receipts)
