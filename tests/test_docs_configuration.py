"""docs/configuration.md against gateway/settings.py: every setting listed once with its true
default, none listed that does not exist; and every PARCOURS_ variable the docs name is real."""

import json
import re
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from gateway.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\| `(PARCOURS_[A-Z0-9_]+)` \| ([^|]+?) \|", re.MULTILINE)
# Defaults too long for a table cell: the docs name where they are instead.
DESCRIBED = {"PARCOURS_JOURNEY_RULES"}
# Read by the simulators themselves (simulators/__main__.py), not a gateway setting.
NOT_SETTINGS = {"PARCOURS_SIMULATORS_WEBHOOK_SECRET"}
DOCS = ("README.md", "docs/architecture.md", "docs/configuration.md", "bench/README.md")


def _documented() -> dict[str, str]:
    rows = ROW.findall((ROOT / "docs" / "configuration.md").read_text())
    names = [name for name, _ in rows]
    assert len(names) == len(set(names)), "a setting is listed twice"
    return dict(rows)


def _as_written(value: Any) -> str:
    """A default as the table writes it: what one would put in the environment."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, SecretStr):
        return f"`{value.get_secret_value()}`"
    if isinstance(value, dict | list):
        return f"`{json.dumps(value)}`"
    return f"`{value}`"


def _settings() -> dict[str, Any]:
    return {
        f"PARCOURS_{name.upper()}": field.get_default(call_default_factory=True)
        for name, field in Settings.model_fields.items()
    }


def test_the_configuration_table_lists_every_setting_and_only_those():
    documented, settings = _documented(), _settings()
    assert sorted(set(settings) - set(documented)) == [], "settings missing from the docs"
    assert sorted(set(documented) - set(settings)) == [], "documented settings that do not exist"


def test_the_configuration_table_gives_each_settings_true_default():
    documented = _documented()
    wrong = {
        name: (documented[name], _as_written(default))
        for name, default in _settings().items()
        if name not in DESCRIBED and documented.get(name) != _as_written(default)
    }
    assert wrong == {}, "(documented, true) defaults"


def test_every_variable_the_docs_name_is_a_setting():
    named = {
        name
        for doc in DOCS
        for name in re.findall(r"PARCOURS_[A-Z0-9_]*[A-Z0-9]", (ROOT / doc).read_text())
    }
    assert sorted(named - set(_settings()) - NOT_SETTINGS) == []


# "`PARCOURS_X` (15)", "(`PARCOURS_X`, 10 s)", "`PARCOURS_X`, default 2", "`PARCOURS_X` (`FR`)".
QUOTED = re.compile(
    r"`(PARCOURS_[A-Z0-9_]+)`\)?\s*[(,]\s*(?:default\s+)?"
    r"(?:([0-9][0-9.]*)(?:\s*(ms|s|days)\b)?|`([A-Z]{2})`)"
)
_SECONDS = {"ms": 0.001, "s": 1, "days": 86_400}


def test_the_defaults_the_prose_quotes_are_true():
    settings, quoted, wrong = _settings(), 0, []
    for doc in DOCS:
        for match in QUOTED.finditer((ROOT / doc).read_text()):
            name, number, unit, word = match.groups()
            default = settings[name]
            if word is not None:
                true = word == default
            else:
                true = float(number) * _SECONDS.get(unit or "s", 1) == float(default)
            quoted += 1
            if not true:
                wrong.append((doc, match.group(0), default))
    assert quoted >= 20
    assert wrong == []
