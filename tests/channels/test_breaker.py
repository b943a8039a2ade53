"""The breaker: opens on consecutive failures, fails fast while open, closes after its TTL."""

import pytest

from channels import (
    ChannelCircuitOpen,
    ChannelNotFound,
    ChannelTimeout,
    ChannelUnavailable,
    Deadline,
)
from channels.contact import ContactClient
from tests.channels.conftest import HELD, OK, UNAVAILABLE, BreakerClock, Reply

# The breaker's clock is stopped (BreakerClock): the TTL passes only when a test moves it past.
# It used to be 1.5 s of real time, slept through, which a loaded host could also spend between
# the call that opened the breaker and the one that must find it open.
TTL_S = 60.0


@pytest.fixture
def breaker_clock(monkeypatch: pytest.MonkeyPatch) -> BreakerClock:
    return BreakerClock.frozen(monkeypatch)


async def test_the_breaker_opens_after_threshold_failures_then_fails_fast_without_a_call(
    system, open_client
) -> None:
    system.always("/carts/c-1", UNAVAILABLE)
    client = await open_client(breaker_threshold=3, retries=0)
    for _ in range(3):
        with pytest.raises(ChannelUnavailable):
            await client.get_json("/carts/c-1", deadline=Deadline.after(30))

    with pytest.raises(ChannelCircuitOpen) as caught:
        await client.get_json("/carts/c-1", deadline=Deadline.after(30))

    # Fails fast: the fourth call never reached the system.
    assert caught.value.code == "CHANNEL_UNAVAILABLE"
    assert system.hits_on("/carts/c-1") == 3


async def test_the_breaker_counts_each_retried_attempt_and_stops_retrying_once_open(
    system, open_client
) -> None:
    system.always("/carts/c-1", UNAVAILABLE)
    client = await open_client(breaker_threshold=2, retries=4)

    with pytest.raises(ChannelCircuitOpen):
        await client.get_json("/carts/c-1", deadline=Deadline.after(30))

    assert system.hits_on("/carts/c-1") == 2


async def test_the_breaker_lets_a_probe_through_after_its_ttl_and_closes_when_it_succeeds(
    system, open_client, breaker_clock: BreakerClock
) -> None:
    system.will("/carts/c-1", UNAVAILABLE, UNAVAILABLE)
    client = await open_client(breaker_threshold=2, breaker_ttl_s=TTL_S, retries=0)
    for _ in range(2):
        with pytest.raises(ChannelUnavailable):
            await client.get_json("/carts/c-1", deadline=Deadline.after(30))
    with pytest.raises(ChannelCircuitOpen):
        await client.get_json("/carts/c-1", deadline=Deadline.after(30))

    breaker_clock.advance(TTL_S + 1)
    probe = await client.get_json("/carts/c-1", deadline=Deadline.after(30))
    after = await client.get_json("/carts/c-1", deadline=Deadline.after(30))

    assert (probe.stale, after.stale) == (False, False)
    assert system.hits_on("/carts/c-1") == 4


async def test_a_failed_probe_opens_the_breaker_again_at_once(
    system, open_client, breaker_clock: BreakerClock
) -> None:
    system.always("/carts/c-1", UNAVAILABLE)
    client = await open_client(breaker_threshold=2, breaker_ttl_s=TTL_S, retries=0)
    for _ in range(2):
        with pytest.raises(ChannelUnavailable):
            await client.get_json("/carts/c-1", deadline=Deadline.after(30))

    breaker_clock.advance(TTL_S + 1)
    with pytest.raises(ChannelUnavailable) as probe:
        await client.get_json("/carts/c-1", deadline=Deadline.after(30))
    with pytest.raises(ChannelCircuitOpen):
        await client.get_json("/carts/c-1", deadline=Deadline.after(30))

    assert not isinstance(probe.value, ChannelCircuitOpen)
    assert system.hits_on("/carts/c-1") == 3


async def test_4xx_answers_do_not_trip_the_breaker(system, open_client) -> None:
    system.always("/orders/o-9", Reply(status=404, body={}))
    client = await open_client(breaker_threshold=2, retries=0)
    for _ in range(4):
        with pytest.raises(ChannelNotFound):
            await client.get_json("/orders/o-9", deadline=Deadline.after(30))

    assert system.hits_on("/orders/o-9") == 4


async def test_a_success_resets_the_count_of_consecutive_failures(system, open_client) -> None:
    system.will("/carts/c-1", UNAVAILABLE, OK, UNAVAILABLE, OK)
    client = await open_client(breaker_threshold=2, retries=0)
    outcomes = []
    for _ in range(4):
        try:
            outcomes.append(await client.get_json("/carts/c-1", deadline=Deadline.after(30)))
        except ChannelUnavailable as exc:
            outcomes.append(exc)

    assert not any(isinstance(outcome, ChannelCircuitOpen) for outcome in outcomes)
    assert system.hits_on("/carts/c-1") == 4


async def test_timeouts_cut_by_the_request_deadline_do_not_trip_the_breaker(
    system, open_client
) -> None:
    system.always("/slow", HELD)
    client = await open_client(call_timeout_s=30, breaker_threshold=2, retries=0)
    for _ in range(3):
        with pytest.raises(ChannelTimeout) as caught:
            await client.get_json("/slow", deadline=Deadline.after(0.3))
        assert caught.value.cut_by_deadline

    assert system.hits_on("/slow") == 3


async def test_an_open_breaker_does_not_grow_a_traceback_on_every_call(system, open_client) -> None:
    # purgatory raises one and the same OpenedState for as long as the breaker is open; each raise
    # would extend that exception's traceback, and so the memory an open breaker holds.
    system.always("/carts/c-1", UNAVAILABLE)
    client = await open_client(breaker_threshold=1, retries=0)
    with pytest.raises(ChannelUnavailable):
        await client.get_json("/carts/c-1", deadline=Deadline.after(30))

    depths = []
    for _ in range(3):
        with pytest.raises(ChannelCircuitOpen) as caught:
            await client.get_json("/carts/c-1", deadline=Deadline.after(30))
        opened_state = caught.value.__context__
        assert opened_state is not None
        traceback, depth = opened_state.__traceback__, 0
        while traceback is not None:
            traceback, depth = traceback.tb_next, depth + 1
        depths.append(depth)

    assert depths == [0, 0, 0]


async def test_2xx_bodies_we_cannot_read_trip_the_breaker(system, open_client) -> None:
    """A system answering garbage is failing, whether its body is not JSON or JSON of a shape we
    cannot read: both count towards opening the breaker."""
    system.always("/cc/v2/tickets", Reply(body={"items": "not a list"}))
    contact = ContactClient(await open_client(name="contact", breaker_threshold=2, retries=0))
    for _ in range(2):
        with pytest.raises(ChannelUnavailable):
            await contact.tickets("CC-1", 1, 10, deadline=Deadline.after(30))

    with pytest.raises(ChannelCircuitOpen):
        await contact.tickets("CC-1", 1, 10, deadline=Deadline.after(30))

    assert system.hits_on("/cc/v2/tickets") == 2
