import socket

import pytest

from gateway.services import ServiceError
from gateway.services import _neo4j_artifacts as artifacts
from gateway.services._ports import ensure_port_free


def test_a_busy_port_names_the_setting_to_change():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ServiceError, match=f"(?s)port {port}.*PARCOURS_NEO4J_BOLT_PORT"):
            ensure_port_free(port, "Neo4j", "PARCOURS_NEO4J_BOLT_PORT")


def test_missing_java_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(artifacts.shutil, "which", lambda _: None)
    with pytest.raises(ServiceError, match=r"(?s)Java 17.*install a JDK"):
        artifacts.check_java()


def test_missing_maven_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(artifacts.shutil, "which", lambda _: None)
    with pytest.raises(ServiceError, match=r"(?s)Maven \(`mvn`\).*apt-get install maven"):
        artifacts.resolve_neo4j_artifacts(tmp_path, "5.26.30")


def test_an_unresolvable_version_reports_maven_s_own_words(tmp_path):
    with pytest.raises(ServiceError, match=r"Maven could not resolve Neo4j 0\.0\.0-nope"):
        artifacts.resolve_neo4j_artifacts(tmp_path, "0.0.0-nope")
    assert not (tmp_path / "neo4j-0.0.0-nope" / "lib" / ".complete").exists()
