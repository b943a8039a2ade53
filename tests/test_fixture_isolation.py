"""The test fixtures keep away from a developer's running ``make up`` stack."""

import socket

import pytest
from yarl import URL

from gateway.settings import CHANNEL_SYSTEMS, Settings
from tests.conftest import Services


def test_a_gateway_under_test_reaches_no_channel_system_unless_given_one(
    services: Services,
) -> None:
    """Its settings name a port where nothing listens, not the simulators' default ports (a
    home screen's stock check or receipts call reached a `make up` stack's OMS and stores)."""
    settings = services.settings()
    defaults = {Settings().channel_url(system) for system in CHANNEL_SYSTEMS}
    for system in CHANNEL_SYSTEMS:
        url = URL(settings.channel_url(system))
        assert str(url) not in defaults
        assert url.host is not None
        assert url.port is not None
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((url.host, url.port), timeout=5).close()
