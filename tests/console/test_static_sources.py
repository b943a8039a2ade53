"""The console's own static files (pages, stylesheet, scripts) keep the project's line limit (ruff
checks the Python side only); the vendored libraries under ``static/vendor`` are kept as their
authors ship them."""

from __future__ import annotations

from pathlib import Path

from gateway.console import STATIC_DIR

VENDOR = STATIC_DIR / "vendor"
LIMIT = 100


def our_files() -> list[Path]:
    return sorted(
        path for path in STATIC_DIR.rglob("*") if path.is_file() and VENDOR not in path.parents
    )


def test_every_static_file_we_write_is_checked_pages_styles_and_scripts():
    kinds = {path.suffix for path in our_files()}
    assert {".html", ".css", ".js"} <= kinds, kinds


def test_the_consoles_own_static_files_have_no_line_over_100_characters():
    long_lines = [
        f"{path.relative_to(STATIC_DIR)}:{number} ({len(line)})"
        for path in our_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if len(line) > LIMIT
    ]
    assert long_lines == []
