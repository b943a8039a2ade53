import neo4j
import pytest
import structlog

from gateway.services import free_port
from tests.conftest import Services, neo4j_server, running_gateway


async def test_healthz_answers_while_the_process_runs(gateway):
    async with gateway.session.get(f"{gateway.url}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok"}


@pytest.mark.timeout(240)
async def test_readyz_reports_neo4j_down_when_it_is_stopped(services: Services, tmp_path):
    own = neo4j_server(tmp_path / "neo4j", auth=True)
    own.start()
    try:
        password = own.config.password_file.read_text().strip()
        with (
            pytest.raises(neo4j.exceptions.AuthError),
            neo4j.GraphDatabase.driver(own.config.uri, auth=("neo4j", "wrong-password")) as driver,
        ):
            driver.verify_connectivity()
        settings = services.settings(
            neo4j_uri=own.config.uri, neo4j_auth=True, neo4j_password=password, port=free_port()
        )
        async with running_gateway(settings) as gateway:
            async with gateway.session.get(f"{gateway.url}/readyz") as response:
                body = await response.json()
                assert response.status == 200, body
                assert body["checks"]["neo4j"]["ok"]
                assert body["checks"]["redis"]["ok"]
            own.stop()
            async with gateway.session.get(f"{gateway.url}/readyz") as response:
                body = await response.json()
                assert response.status == 503
                assert body["status"] == "unavailable"
                assert body["checks"]["neo4j"]["ok"] is False
                assert body["checks"]["redis"]["ok"] is True
    finally:
        own.stop()


async def test_readyz_names_the_dependency_down_and_logs_why_without_telling_the_caller(
    services: Services,
):
    dead_port = free_port()  # nothing listens: the driver's refusal names host and port
    settings = services.settings(neo4j_uri=f"bolt://127.0.0.1:{dead_port}", migrate_on_start=False)
    async with running_gateway(settings) as gateway:
        with structlog.testing.capture_logs() as logs:
            async with gateway.session.get(f"{gateway.url}/readyz") as response:
                text = await response.text()
                assert response.status == 503
                body = await response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["neo4j"] == {"ok": False, "error": "unavailable"}
    assert body["checks"]["redis"]["ok"] is True
    # Nothing of the exception reaches a load balancer: no address, no driver words.
    assert str(dead_port) not in text
    assert "127.0.0.1" not in text
    assert "ServiceUnavailable" not in text
    [logged] = [line for line in logs if line.get("dependency") == "neo4j"]
    assert logged["log_level"] == "warning"
    assert logged["event"] == "readiness check failed"
    assert "ServiceUnavailable" in logged["error"]
    assert str(dead_port) in logged["error"]
