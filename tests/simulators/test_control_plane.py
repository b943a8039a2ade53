"""The control plane every simulator shares: health, latency, faults, reset and erasure."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from gateway.services import free_port
from simulators import SimulatorConfig, create_app
from tests.simulators import generated
from tests.simulators.harness import CONFIG, Reply, Simulator, serve

# A read path on each system that faults apply to, and how that system's error body looks.
PROBES: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "webshop": ("/api/v1/products", lambda b: set(b["error"]) == {"code", "message"}),
    "stores": ("/pos/stores", lambda b: b["status"] == "ERROR" and isinstance(b["reason"], str)),
    "oms": (
        "/oms/availability?skus=SKU-00001",
        lambda b: set(b["errors"][0]) == {"code", "detail"},
    ),
    "contact": (
        f"/cc/v2/customers/{generated.first_cc_id()}/tickets",
        lambda b: set(b) == {"fault", "message"},
    ),
    "mobile": (
        f"/mobile/devices?installId={generated.first_install_id()}",
        lambda b: set(b) == {"message"},
    ),
}


def probe(simulator: Simulator) -> str:
    return PROBES[simulator.system][0]


def has_error_shape(simulator: Simulator, body: Any) -> bool:
    return PROBES[simulator.system][1](body)


async def test_a_healthy_simulator_answers_its_probe_and_names_itself_on_healthz(
    simulator: Simulator,
) -> None:
    assert (await simulator.call("GET", probe(simulator))).status == 200
    health = await simulator.get("/healthz")
    assert health == Reply(200, {"status": "ok", "system": simulator.system})


async def test_faults_start_switched_off(simulator: Simulator) -> None:
    reply = await simulator.get("/admin/faults")
    assert reply.body == {"latencyMs": 0.0, "errorRate": 0.0, "blackhole": False}


async def test_a_full_error_rate_fails_every_request_with_the_systems_own_error_body(
    simulator: Simulator,
) -> None:
    await simulator.switch_faults(errorRate=1.0)
    replies = [await simulator.call("GET", probe(simulator)) for _ in range(10)]
    assert {reply.status for reply in replies} == {503}
    assert all(has_error_shape(simulator, reply.body) for reply in replies)


async def test_a_partial_error_rate_fails_some_requests_and_not_others(
    simulator: Simulator,
) -> None:
    await simulator.switch_faults(errorRate=0.5)
    statuses = {(await simulator.call("GET", probe(simulator))).status for _ in range(40)}
    assert statuses == {200, 503}


async def test_injected_latency_delays_every_answer_by_at_least_that_much(
    simulator: Simulator,
) -> None:
    await simulator.switch_faults(latencyMs=150)
    started = time.perf_counter()
    assert (await simulator.call("GET", probe(simulator))).status == 200
    assert time.perf_counter() - started >= 0.15


async def test_a_blackholed_system_never_answers_so_the_client_times_out(
    simulator: Simulator,
) -> None:
    await simulator.switch_faults(blackhole=True)
    with pytest.raises(TimeoutError):
        await simulator.call("GET", probe(simulator), give_up_after_s=0.3)


async def test_healthz_and_the_admin_endpoints_are_never_faulted(simulator: Simulator) -> None:
    # Faulted, they would never answer (blackhole) or answer in 5 minutes: any answer within the
    # client's 30 s proves they are not faulted, however loaded the machine.
    await simulator.switch_faults(errorRate=1.0, blackhole=True, latencyMs=300_000)
    assert (await simulator.call("GET", "/healthz", give_up_after_s=30)).status == 200
    assert (await simulator.call("GET", "/admin/faults", give_up_after_s=30)).status == 200


async def test_reset_clears_faults_and_recorded_erasures(simulator: Simulator) -> None:
    await simulator.switch_faults(errorRate=1.0, latencyMs=10)
    await simulator.post("/admin/erasure", {"identifiers": [{"kind": "email", "value": "a@b.c"}]})
    await simulator.reset()
    assert (await simulator.get("/admin/faults")).body == {
        "latencyMs": 0.0,
        "errorRate": 0.0,
        "blackhole": False,
    }
    assert (await simulator.get("/admin/erasures")).body == {"erasures": []}
    assert (await simulator.call("GET", probe(simulator))).status == 200


async def test_erasure_requests_are_recorded_in_the_order_they_arrive(
    simulator: Simulator,
) -> None:
    first = [{"kind": "email", "value": "mehdi.morel.0@example.com"}]
    second = [{"kind": "phone", "value": "+33676022815"}, {"kind": "loyalty_card", "value": "x"}]
    accepted = await simulator.post("/admin/erasure", {"identifiers": first})
    await simulator.post("/admin/erasure", {"identifiers": second})
    assert accepted.status == 202
    assert accepted.body["status"] == "RECORDED"
    erasures = (await simulator.get("/admin/erasures")).body["erasures"]
    assert [e["identifiers"] for e in erasures] == [first, second]
    assert erasures[0]["erasureId"] != erasures[1]["erasureId"]


async def test_an_erasure_request_from_the_gateway_is_recorded_once_per_reference(
    simulator: Simulator,
) -> None:
    identifiers = [{"kind": "email", "value": "erase.me@example.com"}]
    body = {"identifiers": identifiers, "reference": "erasure-abc"}
    first = await simulator.post("/privacy/erasures", body)
    again = await simulator.post("/privacy/erasures", body)
    assert (first.status, again.status) == (202, 200)
    assert again.body == first.body
    erasures = (await simulator.get("/admin/erasures")).body["erasures"]
    assert [(e["identifiers"], e["reference"]) for e in erasures] == [(identifiers, "erasure-abc")]


async def test_erasure_requests_from_the_gateway_are_subject_to_faults(
    simulator: Simulator,
) -> None:
    await simulator.switch_faults(errorRate=1.0)
    refused = await simulator.post(
        "/privacy/erasures", {"identifiers": [{"kind": "email", "value": "a@b.c"}]}
    )
    assert refused.status >= 500
    assert (await simulator.get("/admin/erasures")).body == {"erasures": []}


async def test_unknown_paths_are_a_404_in_the_systems_error_shape(simulator: Simulator) -> None:
    reply = await simulator.get("/no/such/path")
    assert reply.status == 404
    assert has_error_shape(simulator, reply.body)


async def test_bad_fault_input_is_a_400_naming_the_field_on_every_system(
    simulator: Simulator,
) -> None:
    reply = await simulator.post("/admin/faults", {"errorRate": 2})
    assert reply.status == 400
    assert reply.body["field"] == "errorRate"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"errorRate": 1.5}, "errorRate"),
        ({"errorRate": -0.1}, "errorRate"),
        ({"errorRate": "half"}, "errorRate"),
        ({"latencyMs": -1}, "latencyMs"),
        ({"latencyMs": True}, "latencyMs"),
        ({"blackhole": "yes"}, "blackhole"),
        ({"blackhole": 1}, "blackhole"),
        ({"latency": 100}, "latency"),
        ([1, 2], "body"),
    ],
)
async def test_bad_fault_input_is_a_400_naming_the_field(
    webshop: Simulator, body: Any, field: str
) -> None:
    reply = await webshop.post("/admin/faults", body)
    assert reply.status == 400
    assert reply.body["field"] == field
    assert reply.body["error"] == "INVALID_INPUT"


async def test_a_fault_body_that_is_not_json_is_a_400_naming_the_body(webshop: Simulator) -> None:
    async with webshop.session.post(f"{webshop.url}/admin/faults", data=b"{nope") as response:
        assert response.status == 400
        assert (await response.json())["field"] == "body"


async def test_a_rejected_fault_update_changes_nothing(webshop: Simulator) -> None:
    reply = await webshop.post("/admin/faults", {"latencyMs": 50, "errorRate": 3})
    assert reply.status == 400
    assert (await webshop.get("/admin/faults")).body["latencyMs"] == 0.0


async def test_a_partial_fault_update_keeps_the_other_faults(webshop: Simulator) -> None:
    await webshop.switch_faults(latencyMs=25, errorRate=0.2)
    state = await webshop.switch_faults(blackhole=False)
    assert state == {"latencyMs": 25.0, "errorRate": 0.2, "blackhole": False}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "identifiers"),
        ({"identifiers": []}, "identifiers"),
        ({"identifiers": ["email"]}, "identifiers[0]"),
        ({"identifiers": [{"kind": "email"}]}, "identifiers[0].value"),
        ({"identifiers": [{"kind": "", "value": "x"}]}, "identifiers[0].kind"),
    ],
)
async def test_bad_erasure_requests_are_a_400_naming_the_field(
    oms: Simulator, body: Any, field: str
) -> None:
    reply = await oms.post("/admin/erasure", body)
    assert (reply.status, reply.body["field"]) == (400, field)


async def test_the_configured_base_latency_applies_to_every_answer() -> None:
    async with serve("stores", SimulatorConfig(latency_ms=80, jitter_ms=20)) as stores:
        for _ in range(3):
            started = time.perf_counter()
            assert (await stores.get("/pos/stores")).status == 200
            assert time.perf_counter() - started >= 0.08


@pytest.mark.parametrize("fault", [{"blackhole": True}, {"latencyMs": 300_000}])
async def test_requests_held_by_a_fault_are_let_go_when_the_server_stops(
    fault: dict[str, Any],
) -> None:
    runner = web.AppRunner(create_app("mobile", CONFIG))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session:
        async with session.post(f"{url}/admin/faults", json=fault) as response:
            assert response.status == 200
        hanging = asyncio.create_task(session.get(f"{url}/mobile/outbox"))
        assert runner.server is not None
        server = runner.server
        deadline = asyncio.get_running_loop().time() + 30
        while server.requests_count < 2:  # the faults POST, then the held GET is being handled
            assert asyncio.get_running_loop().time() < deadline, "the GET never reached the server"
            await asyncio.sleep(0.02)
        started = time.perf_counter()
        await runner.cleanup()
        # Not the 60 s aiohttp would wait for a held handler: a bound far from both that and the
        # milliseconds the release takes, so a loaded machine cannot fail it.
        assert time.perf_counter() - started < 20
        with pytest.raises(aiohttp.ClientError):
            await hanging


async def test_all_five_start_with_2000_customers_from_one_shared_dataset() -> None:
    # Start-up speed is a figure (bench), not an assertion; what keeps it fast is that the five
    # systems build the 2,000-customer dataset once between them.
    from simulators._dataset import load_dataset  # noqa: PLC0415 - to clear its cache first

    load_dataset.cache_clear()
    runners = [web.AppRunner(create_app(name, CONFIG)) for name in PROBES]
    for runner in runners:
        await runner.setup()
    try:
        assert load_dataset.cache_info().misses == 1
        assert load_dataset.cache_info().hits == len(PROBES) - 1
    finally:
        for runner in runners:
            await runner.cleanup()


async def test_a_wrong_method_is_a_405_in_the_systems_error_shape_saying_what_is_allowed(
    simulator: Simulator,
) -> None:
    async with simulator.session.delete(simulator.url + "/healthz") as response:
        assert response.status == 405
        assert "GET" in response.headers["Allow"]
        assert has_error_shape(simulator, await response.json())
