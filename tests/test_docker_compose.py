"""`docker compose config` needs the compose plugin, absent here; this checks what drifts instead:
the images, and that every PARCOURS_ variable the compose file sets is a real setting."""

from pathlib import Path

import typer
import yaml
from typer.core import TyperGroup

from gateway.cli import app
from gateway.settings import Settings
from simulators.__main__ import _parser as simulator_parser

ROOT = Path(__file__).resolve().parents[1]


def test_compose_runs_the_official_images_and_the_gateway_build():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["neo4j"]["image"] == "neo4j:5.26-community"
    assert services["redis"]["image"] == "redis:7"
    assert services["gateway"]["build"] == "."
    assert services["simulators"]["command"][:4] == ["python", "-m", "simulators", "all"]
    assert (ROOT / "Dockerfile").exists()


def test_every_gateway_variable_in_compose_is_a_setting():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    fields = {f"PARCOURS_{name.upper()}" for name in Settings.model_fields}
    for service in ("gateway", "seed"):
        env = compose["services"][service]["environment"]
        unknown = {key for key in env if key.startswith("PARCOURS_")} - fields
        assert not unknown, f"{service} sets unknown settings: {unknown}"


def test_the_simulators_post_their_events_to_the_gateways_webhooks():
    # Without it, store receipts and OMS orders never reached the gateway under Docker, so
    # orderStatusChanged never fired there.
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["simulators"]["command"]
    gateway_port = compose["services"]["gateway"]["environment"]["PARCOURS_PORT"]
    assert command[command.index("--webhook-url") + 1] == (
        f"http://gateway:{gateway_port}/webhooks"
    )


def test_the_commands_compose_runs_take_the_options_it_gives():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    simulator_options = {o for a in simulator_parser()._actions for o in a.option_strings}
    given = {o for o in services["simulators"]["command"] if o.startswith("--")}
    assert given - simulator_options == set()
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    for name in ("seed", "gateway"):
        _, command, *args = services[name]["command"]
        assert command in root.commands, command
        options = {o for p in root.commands[command].params for o in getattr(p, "opts", [])}
        assert {a for a in args if a.startswith("--")} - options == set()
