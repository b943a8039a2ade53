"""The OMS client's list of emails: what it refuses to send, before any call."""

import pytest

from channels import Deadline
from channels.oms import MAX_EMAILS_PER_CALL, OmsClient


async def test_an_email_list_that_would_read_differently_is_never_sent(system, open_client):
    oms = OmsClient(await open_client(name="oms"))
    too_many = [f"c{n}@example.com" for n in range(MAX_EMAILS_PER_CALL + 1)]
    for emails in ([], too_many, ["x,victim@example.com"]):
        with pytest.raises(ValueError, match="email"):
            await oms.orders_of(emails, 1, 10, deadline=Deadline.after(2))
    assert system.hits == []
