"""The mobile-backend simulator: devices by app install id, push sending, the outbox."""

from __future__ import annotations

from typing import Any

import pytest

from tests.simulators import generated
from tests.simulators.harness import Simulator, device_with_push_token


async def test_a_generated_install_id_finds_the_generated_device(mobile: Simulator) -> None:
    for customer in generated.with_identity("app_install_id")[:20]:
        devices_by_id = {device["id"]: device for device in customer.devices}
        for install_id in customer.identities["app_install_id"]:
            reply = await mobile.get("/mobile/devices", installId=install_id)
            [device] = reply.body["devices"]
            expected = devices_by_id["dev-" + install_id.removeprefix("app-")]
            assert device["deviceId"] == expected["id"]
            assert device["installId"] == install_id
            assert device["platform"] == expected["os"]
            assert device["registeredAt"].endswith("Z")


async def test_an_unknown_install_has_no_devices_and_a_missing_one_is_a_400(
    mobile: Simulator,
) -> None:
    assert (await mobile.get("/mobile/devices", installId="app-nope-0")).body == {"devices": []}
    missing = await mobile.get("/mobile/devices")
    assert missing.status == 400
    assert set(missing.body) == {"message"}


async def test_several_installs_are_answered_in_one_call_in_the_order_asked(
    mobile: Simulator,
) -> None:
    customers = generated.with_identity("app_install_id")[:3]
    installs = [c.identities["app_install_id"][0] for c in customers]
    one_by_one = []
    for install in [*reversed(installs), "app-nope-0"]:
        one_by_one += (await mobile.get("/mobile/devices", installId=install)).body["devices"]

    together = await mobile.get(
        "/mobile/devices", installIds=",".join([*reversed(installs), "app-nope-0"])
    )

    assert together.status == 200
    assert together.body["devices"] == one_by_one
    assert [d["installId"] for d in together.body["devices"]] == list(reversed(installs))
    too_many = await mobile.get(
        "/mobile/devices", installIds=",".join(f"a-{n}" for n in range(101))
    )
    assert too_many.status == 400


async def test_a_push_is_accepted_and_shows_in_the_outbox_newest_first(mobile: Simulator) -> None:
    device = await device_with_push_token(mobile)
    first = await mobile.post(
        "/mobile/push", {"deviceId": device["deviceId"], "title": "Hi", "body": "One"}
    )
    second = await mobile.post(
        "/mobile/push", {"deviceId": device["deviceId"], "title": "Hi", "body": "Two"}
    )
    assert (first.status, second.status) == (202, 202)
    assert first.body["notificationId"] != second.body["notificationId"]
    outbox = (await mobile.get("/mobile/outbox")).body
    assert [item["body"] for item in outbox["items"]] == ["Two", "One"]
    assert outbox["items"][0]["installId"] == device["installId"]


async def test_pushing_to_an_unknown_device_is_a_404(mobile: Simulator) -> None:
    reply = await mobile.post("/mobile/push", {"deviceId": "dev-nope-0", "title": "t", "body": "b"})
    assert reply.status == 404
    assert set(reply.body) == {"message"}


async def test_pushing_to_a_device_that_declined_notifications_is_a_409(
    mobile: Simulator,
) -> None:
    for customer in generated.with_identity("app_install_id"):
        devices = (
            await mobile.get("/mobile/devices", installId=customer.first("app_install_id"))
        ).body["devices"]
        declined = [device for device in devices if device["pushToken"] is None]
        if declined:
            break
    reply = await mobile.post(
        "/mobile/push", {"deviceId": declined[0]["deviceId"], "title": "t", "body": "b"}
    )
    assert reply.status == 409
    assert (await mobile.get("/mobile/outbox")).body["total"] == 0


@pytest.mark.parametrize(
    "change", [{"title": ""}, {"body": None}, {"title": "x" * 101}, {"deviceId": 3}]
)
async def test_bad_pushes_are_a_400(mobile: Simulator, change: dict[str, Any]) -> None:
    device = await device_with_push_token(mobile)
    body = {"deviceId": device["deviceId"], "title": "t", "body": "b", **change}
    assert (await mobile.post("/mobile/push", body)).status == 400


async def test_reset_empties_the_outbox(mobile: Simulator) -> None:
    device = await device_with_push_token(mobile)
    await mobile.post("/mobile/push", {"deviceId": device["deviceId"], "title": "t", "body": "b"})
    await mobile.reset()
    assert (await mobile.get("/mobile/outbox")).body["total"] == 0
