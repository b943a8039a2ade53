"""The mobile-backend client: device registrations (push tokens) by app install id."""

from __future__ import annotations

from channels._answer import ChannelAnswer
from channels._client import ChannelClient
from channels._deadline import Deadline
from channels._parse import as_dict, as_list, timestamp
from channels.records import DeviceRegistration


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
        self, install_id: str, *, deadline: Deadline
    ) -> ChannelAnswer[tuple[DeviceRegistration, ...]]:
        answer = await self.client.get_json(
            "/mobile/devices",
            {"installId": install_id},
            deadline=deadline,
            stale_key=f"devices:{install_id}",
        )
        body = as_dict(answer.data, "devices")
        rows = body.get("items", body.get("devices", []))
        registrations = tuple(
            DeviceRegistration(
                device_id=str(row["deviceId"]),
                platform=str(row.get("platform", "")),
                push_enabled=bool(row.get("pushToken")),
                registered_at=timestamp(row["registeredAt"], "registeredAt"),
            )
            for row in (as_dict(item, "device") for item in as_list(rows, "devices"))
        )
        return answer.with_data(registrations)
