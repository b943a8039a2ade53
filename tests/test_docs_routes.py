"""Every route the gateway serves is named in the README or docs/architecture.md."""

from pathlib import Path

from gateway.app import create_app
from gateway.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_route_of_the_gateway_is_documented():
    app = create_app(Settings())  # no I/O until the app starts
    paths = {route.resource.canonical for route in app.router.routes() if route.resource}
    docs = (ROOT / "README.md").read_text() + (ROOT / "docs" / "architecture.md").read_text()
    assert sorted(path for path in paths if path not in docs) == []
