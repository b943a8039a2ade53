"""The mobile-backend client: device registrations (push tokens) by app install id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from channels._answer import ChannelAnswer
from channels._client import ChannelClient
from channels._deadline import Deadline
from channels._parse import as_dict, as_list, timestamp
from channels._stale import StaleItems
from channels.records import DeviceRegistration

# The mobile backend answers at most this many install ids per call.
MAX_INSTALLS_PER_CALL = 100


class MobileClient:
    """Read device registrations from the mobile backend.

    Example:
        >>> async def tokens(mobile: MobileClient, install: str) -> int:
        ...     answer = await mobile.devices(install, deadline=Deadline.after(0.8))
        ...     return len(answer.data)
    """

    def __init__(self, client: ChannelClient) -> None:
        self.client = client

    async def devices(
        self, install_id: str, *, deadline: Deadline, stale_fallback: bool = True
    ) -> ChannelAnswer[tuple[DeviceRegistration, ...]]:
        """The registrations of one install (none for an unknown install)."""
        answer = await self.devices_of(
            [install_id], deadline=deadline, stale_fallback=stale_fallback
        )
        return answer.with_data(answer.data.get(install_id, ()))

    async def devices_of(
        self, install_ids: Sequence[str], *, deadline: Deadline, stale_fallback: bool = True
    ) -> ChannelAnswer[dict[str, tuple[DeviceRegistration, ...]]]:
        """The registrations of several installs in one call, by install id (each one asked is
        there, with none for an unknown install). Without ``stale_fallback`` the answer is
        neither kept nor replaced by a kept one."""
        wanted = sorted(set(install_ids))
        if not 1 <= len(wanted) <= MAX_INSTALLS_PER_CALL:
            raise ValueError(f"between 1 and {MAX_INSTALLS_PER_CALL} install ids per call")
        return await self.client.get_json(
            "/mobile/devices",
            {"installIds": ",".join(wanted)},
            deadline=deadline,
            # One copy per install: a request asks the installs of all its customers at once,
            # and a later one about some of them must still find theirs.
            stale_items=StaleItems(
                keys={install: f"devices-install:{install}" for install in wanted},
                split=lambda data: _rows_by_install(data, wanted),
                join=lambda parts: {"devices": [row for rows in parts for row in rows]},
            )
            if stale_fallback
            else None,
            parse=lambda data: _registrations(data, wanted),
        )


def _rows(data: Any) -> list[Any]:
    body = as_dict(data, "devices")
    return as_list(body.get("items", body.get("devices", [])), "devices")


def _rows_by_install(data: Any, wanted: Sequence[str]) -> dict[str, list[Any]]:
    """The answer's rows by install asked (none for an install the backend does not know)."""
    found: dict[str, list[Any]] = {install: [] for install in wanted}
    for row in _rows(data):
        install = str(as_dict(row, "device")["installId"])
        if install in found:
            found[install].append(row)
    return found


def _registrations(data: Any, wanted: Sequence[str]) -> dict[str, tuple[DeviceRegistration, ...]]:
    found: dict[str, list[DeviceRegistration]] = {install: [] for install in wanted}
    for row in (as_dict(item, "device") for item in _rows(data)):
        found.setdefault(str(row["installId"]), []).append(
            DeviceRegistration(
                device_id=str(row["deviceId"]),
                platform=str(row.get("platform", "")),
                push_enabled=bool(row.get("pushToken")),
                registered_at=timestamp(row["registeredAt"], "registeredAt"),
            )
        )
    return {install: tuple(kept) for install, kept in found.items()}
