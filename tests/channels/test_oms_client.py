"""The OMS and contact-centre clients: what they refuse to send, before any call."""

import pytest

from channels import Deadline
from channels.contact import ContactClient
from channels.oms import MAX_EMAILS_PER_CALL, MAX_PAGE_SIZE, OmsClient


async def test_an_email_list_that_would_read_differently_is_never_sent(system, open_client):
    oms = OmsClient(await open_client(name="oms"))
    too_many = [f"c{n}@example.com" for n in range(MAX_EMAILS_PER_CALL + 1)]
    for emails in ([], too_many, ["x,victim@example.com"]):
        with pytest.raises(ValueError, match="email"):
            await oms.orders_of(emails, 1, 10, deadline=Deadline.after(30))
    assert system.hits == []


async def test_a_page_larger_than_the_systems_own_limit_is_never_sent(system, open_client):
    """The OMS and the contact centre page at most 100 items (a 400 beyond): a larger page is a
    bug of the caller, refused before any call (the resolvers page at most that many)."""
    oms = OmsClient(await open_client(name="oms"))
    contact = ContactClient(await open_client(name="contact"))
    for size in (0, MAX_PAGE_SIZE + 1):
        with pytest.raises(ValueError, match="per page"):
            await oms.orders_of(["a@example.com"], 1, size, deadline=Deadline.after(30))
        with pytest.raises(ValueError, match="per page"):
            await contact.tickets_of(["CC-1"], 1, size, deadline=Deadline.after(30))
    assert system.hits == []
