"""The console's own JavaScript keeps the project's line limit (ruff checks the Python side only);
the vendored libraries under ``static/vendor`` are kept as their authors ship them."""

from __future__ import annotations

from gateway.console import STATIC_DIR

SCRIPTS = STATIC_DIR / "js"
LIMIT = 100


def test_the_consoles_own_scripts_have_no_line_over_100_characters():
    scripts = sorted(SCRIPTS.glob("*.js"))
    assert scripts, SCRIPTS
    long_lines = [
        f"{path.name}:{number} ({len(line)})"
        for path in scripts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if len(line) > LIMIT
    ]
    assert long_lines == []
