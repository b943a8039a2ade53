import neo4j
import pytest

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
