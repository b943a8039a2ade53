import time

import pytest

from channels import ChannelConfig, Deadline


def test_a_deadline_counts_down_from_its_budget() -> None:
    deadline = Deadline.after(0.5)
    first = deadline.remaining()
    time.sleep(0.01)
    assert 0.0 < deadline.remaining() < first <= 0.5
    assert not deadline.expired


def test_a_passed_deadline_is_expired_with_nothing_remaining() -> None:
    deadline = Deadline.after(-1.0)
    assert deadline.remaining() == 0.0
    assert deadline.expired


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": ""},
        {"name": "web:shop"},
        {"base_url": "127.0.0.1:9101"},
        {"call_timeout_s": 0},
        {"pool_size": 0},
        {"breaker_threshold": 0},
        {"retries": -1},
        {"retry_wait_max_s": 0.001},
    ],
)
def test_a_channel_config_refuses_values_that_make_no_sense(overrides) -> None:
    values = {"name": "webshop", "base_url": "http://127.0.0.1:9101"} | overrides
    with pytest.raises(ValueError, match="must"):
        ChannelConfig(**values)
