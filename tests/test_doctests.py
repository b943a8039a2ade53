"""The docstrings' examples are run: an ``Example:`` that no longer says what the code does is a
wrong document (STYLE.md asks public classes for one; ``graph.erasure.plain``'s had gone stale
unnoticed, since nothing ran them)."""

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest

PACKAGES = ("gateway", "resolvers", "graph", "channels", "simulators")


def _modules() -> list[str]:
    names = []
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        names.append(package_name)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            if info.name.rsplit(".", 1)[-1] != "__main__":  # runs a program when imported
                names.append(info.name)
    return sorted(names)


def _examples(module: ModuleType) -> list[doctest.DocTest]:
    return [test for test in doctest.DocTestFinder().find(module) if test.examples]


def test_the_examples_are_found() -> None:
    found = sum(len(_examples(importlib.import_module(name))) for name in _modules())
    assert found >= 100  # a finder that saw nothing would pass every test below


@pytest.mark.parametrize("name", _modules())
def test_a_modules_examples_say_what_the_code_does(name: str) -> None:
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in _examples(importlib.import_module(name)):
        runner.run(test)
    outcome = runner.summarize(verbose=False)
    assert outcome.failed == 0, f"{outcome.failed} of {outcome.attempted} examples failed"
