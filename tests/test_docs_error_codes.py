"""docs/architecture.md's table of error codes against the codes the code can answer with: every
code raised is listed with its meaning, and no listed code is dead."""

import re
from pathlib import Path

from channels._errors import _REJECTION_CODES
from gateway.graphql_http import _CODES

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\| `([A-Z][A-Z_]+)` \| ", re.MULTILINE)
# Where a code is given: a class's `code = "X"`, `{"code": "X"}`, `extensions["code"] = "X"`, or
# the status-then-code refusals of the HTTP routes (`_refused(request, 429, "RATE_LIMITED"...`).
RAISED = re.compile(
    r'(?:\bcode\s*=\s*|"code":\s*|\["code"\]\s*=\s*'
    r'|(?:Refused|_refused|_error)\(\s*(?:request,\s*)?\d{3},\s*)"([A-Z][A-Z_]+)"'
)


def _raised() -> set[str]:
    codes = set(_CODES.values()) | set(_REJECTION_CODES.values())
    for package in ("gateway", "resolvers", "channels"):
        for module in (ROOT / package).rglob("*.py"):
            # Doctest lines show other systems' payloads (the OMS's own reasons), not ours.
            source = "\n".join(
                line for line in module.read_text().splitlines() if ">>>" not in line
            )
            codes |= set(RAISED.findall(source))
    return codes


def _documented() -> list[str]:
    text = (ROOT / "docs" / "architecture.md").read_text()
    errors = text[text.index("\n## Errors\n") : text.index("\n## The local stack\n")]
    return ROW.findall(errors)


def test_the_error_table_lists_each_code_once():
    documented = _documented()
    assert len(documented) == len(set(documented))


def test_every_code_the_api_answers_with_is_documented():
    assert sorted(_raised() - set(_documented())) == []


def test_no_documented_code_is_dead():
    assert sorted(set(_documented()) - _raised()) == []
