import pytest
from pydantic import ValidationError

from gateway.settings import Settings
from graph.migrations import MigrationInputs


def test_the_phone_region_is_france_unless_configured(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("PARCOURS_PHONE_DEFAULT_REGION", raising=False)
    assert Settings().phone_default_region == "FR"
    monkeypatch.setenv("PARCOURS_PHONE_DEFAULT_REGION", " be ")
    assert Settings().phone_default_region == "BE"
    assert Settings().migration_inputs() == MigrationInputs(phone_region="BE")


@pytest.mark.parametrize("region", ["XX", "France", ""])
def test_a_region_libphonenumber_does_not_know_is_refused_at_start(region: str):
    with pytest.raises(ValidationError, match="phone_default_region"):
        Settings(phone_default_region=region)
