"""Every `make X` the README and the docs quote is a Makefile target."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ("README.md", "docs/architecture.md", "docs/configuration.md", "bench/README.md")


def test_every_quoted_make_target_exists():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE))
    quoted = {t for doc in DOCS for t in re.findall(r"`make ([a-z]+)", (ROOT / doc).read_text())}
    assert len(quoted) >= 6
    assert sorted(quoted - targets) == []
