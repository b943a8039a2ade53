import pytest

from gateway.services import ServiceError, ensure_chromium
from gateway.services import _debian as debian


def test_an_installed_chromium_is_found_without_installing_anything():
    assert ensure_chromium() == "/usr/bin/chromium"


def test_a_missing_tool_without_root_says_which_packages_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(debian.shutil, "which", lambda _: None)
    monkeypatch.setattr(debian.os, "geteuid", lambda: 1000)
    with pytest.raises(
        ServiceError, match=r"nope is not installed\n.*sudo apt-get install -y nope-pkg nope-extra"
    ):
        debian.ensure_debian_binary("nope", ("nope-pkg", "nope-extra"), str(tmp_path / "nope"))
