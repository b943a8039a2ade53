"""A secret the services write (the generated Neo4j password) is never readable by other local
users, not even for the instant between creating the file and narrowing its mode."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.services import Neo4jConfig, Neo4jServer, free_port
from gateway.services._secret_files import write_secret


@pytest.fixture
def no_late_chmod(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """No umask to hide a broad creation mode, and every chmod after the fact recorded, not
    applied: what is on disk afterwards is the mode the file was created with."""
    calls: list[object] = []
    monkeypatch.setattr(os, "chmod", lambda *args, **kwargs: calls.append(args))
    monkeypatch.setattr(os, "fchmod", lambda *args, **kwargs: calls.append(args))
    previous = os.umask(0)
    try:
        yield calls
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_generated_neo4j_password_file_is_created_readable_by_its_owner_only(
    tmp_path: Path, no_late_chmod: list[object]
) -> None:
    config = Neo4jConfig(
        home=tmp_path / "neo4j",
        cache_dir=tmp_path / "cache",
        version="5.26.30",
        bolt_port=free_port(),
    )
    Neo4jServer(config)._write_conf()
    assert _mode(config.password_file) == 0o600
    assert no_late_chmod == []
    assert len(config.password_file.read_text()) >= 20


def test_a_secret_written_over_a_broader_file_is_narrowed_before_it_is_written(
    tmp_path: Path,
) -> None:
    path = tmp_path / "secret"
    path.write_text("old")
    path.chmod(0o644)
    write_secret(path, "new")
    assert _mode(path) == 0o600
    assert path.read_text() == "new"
