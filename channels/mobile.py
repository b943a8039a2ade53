"""The mobile-backend client: device registrations (push tokens) by app install id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from channels._answer import ChannelAnswer
from channels._client import ChannelClient
from channels._deadline import Deadline
from channels._parse import as_dict, as_list, timestamp
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
            stale_key="devices:" + ",".join(wanted) if stale_fallback else None,
            parse=lambda data: _registrations(data, wanted),
        )


def _registrations(data: Any, wanted: Sequence[str]) -> dict[str, tuple[DeviceRegistration, ...]]:
    body = as_dict(data, "devices")
    rows = body.get("items", body.get("devices", []))
    found: dict[str, list[DeviceRegistration]] = {install: [] for install in wanted}
    for row in (as_dict(item, "device") for item in as_list(rows, "devices")):
        found.setdefault(str(row["installId"]), []).append(
            DeviceRegistration(
                device_id=str(row["deviceId"]),
                platform=str(row.get("platform", "")),
                push_enabled=bool(row.get("pushToken")),
                registered_at=timestamp(row["registeredAt"], "registeredAt"),
            )
        )
    return {install: tuple(kept) for install, kept in found.items()}
