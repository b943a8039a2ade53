"""docs/architecture.md's table of the codes a webhook's 200 gives the events it did not record
(``rejected``) against the code: every code a ``RejectedEvent`` is built with is listed, and no
listed code is dead. A code the table does not list is one a sender cannot look up."""

import ast
import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\| `([A-Z][A-Z_]+)` \| ", re.MULTILINE)


def _code(node: ast.expr, module: str, where: str) -> str:
    """The string a ``RejectedEvent``'s code argument is: a literal or a module's constant."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    value = None
    if isinstance(node, ast.Name):
        value = getattr(importlib.import_module(module), node.id, None)
    assert isinstance(value, str), f"{where}: a rejection's code must be a named constant"
    return value


def _given() -> set[str]:
    codes = set()
    for package in ("gateway", "graph"):
        for path in (ROOT / package).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                if name != "RejectedEvent":
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                keywords = [k.value for k in node.keywords if k.arg == "code"]
                codes.add(_code((node.args[2:3] or keywords)[0], module, where))
    return codes


def _documented() -> list[str]:
    text = (ROOT / "docs" / "architecture.md").read_text()
    start = text.index("\n## Ingest\n")
    ingest = text[start : text.index("\n## ", start + 1)]
    return ROW.findall(ingest)


def test_the_rejection_table_lists_each_code_once():
    documented = _documented()
    assert len(documented) == len(set(documented))


def test_every_code_a_rejected_event_can_carry_is_documented():
    given = _given()
    assert {"CUSTOMER_ERASED", "UNKNOWN_SKU"} <= given  # the scan finds what is there
    assert sorted(given - set(_documented())) == []


def test_no_documented_rejection_code_is_dead():
    assert sorted(set(_documented()) - _given()) == []
