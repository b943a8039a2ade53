"""Retries: only for idempotent calls, only for failures that may pass, never past the deadline."""

import pytest

from channels import ChannelRejected, ChannelTimeout, ChannelUnavailable, Deadline
from tests.channels.conftest import HELD, OK, UNAVAILABLE, Reply


async def test_a_get_is_retried_on_503_until_it_succeeds(system, open_client) -> None:
    system.will("/carts/c-1", UNAVAILABLE, UNAVAILABLE, Reply(body={"lines": []}))
    client = await open_client(retries=2)

    answer = await client.get_json("/carts/c-1", deadline=Deadline.after(30))

    assert answer.data == {"lines": []}
    assert system.hits_on("/carts/c-1") == 3


async def test_a_get_gives_up_after_its_retries_with_the_last_error(system, open_client) -> None:
    system.always("/carts/c-1", UNAVAILABLE)
    client = await open_client(retries=2)

    with pytest.raises(ChannelUnavailable):
        await client.get_json("/carts/c-1", deadline=Deadline.after(30))

    assert system.hits_on("/carts/c-1") == 3


async def test_a_get_is_retried_after_a_timeout(system, open_client) -> None:
    system.will("/carts/c-1", HELD, OK)
    # The retry gets the same per-call timeout as the held attempt: 2 s, not 0.2 s, so a loaded
    # host cannot time the retry's immediate answer out as well.
    client = await open_client(call_timeout_s=2, retries=1)

    answer = await client.get_json("/carts/c-1", deadline=Deadline.after(30))

    assert answer.data == {"ok": True}
    assert system.hits_on("/carts/c-1") == 2


async def test_a_post_without_idempotency_key_is_never_retried(system, open_client) -> None:
    system.will("/carts", UNAVAILABLE, OK)
    client = await open_client(retries=2)

    with pytest.raises(ChannelUnavailable):
        await client.post_json("/carts", {"customer": "k-1"}, deadline=Deadline.after(30))

    assert system.hits_on("/carts") == 1


async def test_a_post_with_idempotency_key_is_retried_with_the_same_key(
    system, open_client
) -> None:
    system.will("/carts", UNAVAILABLE, Reply(status=201, body={"id": "c-9"}))
    client = await open_client(retries=2)

    answer = await client.post_json(
        "/carts", {"customer": "k-1"}, deadline=Deadline.after(30), idempotency_key="op-42"
    )

    assert answer.data == {"id": "c-9"}
    assert [hit.headers["Idempotency-Key"] for hit in system.hits] == ["op-42", "op-42"]
    assert [hit.body for hit in system.hits] == [b'{"customer":"k-1"}'] * 2


async def test_a_4xx_is_never_retried(system, open_client) -> None:
    system.will("/carts/c-1", Reply(status=400, body={"error": "bad id"}), OK)
    client = await open_client(retries=2)

    with pytest.raises(ChannelRejected) as caught:
        await client.get_json("/carts/c-1", deadline=Deadline.after(30))

    assert caught.value.code == "BAD_USER_INPUT"
    assert system.hits_on("/carts/c-1") == 1


async def test_no_retry_starts_when_the_deadline_leaves_no_room_for_it(system, open_client) -> None:
    system.will("/carts/c-1", HELD, OK)
    client = await open_client(call_timeout_s=0.25, retries=2, retry_wait_max_s=0.1)

    with pytest.raises(ChannelTimeout):
        await client.get_json("/carts/c-1", deadline=Deadline.after(0.3))

    # A retry would have been answered at once (OK is next): the single hit proves none started.
    assert system.hits_on("/carts/c-1") == 1
