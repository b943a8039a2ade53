import pytest
import structlog.testing
from pydantic import ValidationError

from gateway.settings import Settings


def test_the_phone_region_is_france_unless_configured(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("PARCOURS_PHONE_DEFAULT_REGION", raising=False)
    assert Settings().phone_default_region == "FR"
    monkeypatch.setenv("PARCOURS_PHONE_DEFAULT_REGION", " be ")
    assert Settings().phone_default_region == "BE"
    assert Settings().migration_inputs().phone_region == "BE"


@pytest.mark.parametrize("region", ["XX", "France", ""])
def test_a_region_libphonenumber_does_not_know_is_refused_at_start(region: str):
    with pytest.raises(ValidationError, match="phone_default_region"):
        Settings(phone_default_region=region)


def test_the_migrations_data_steps_progress_is_logged():
    with structlog.testing.capture_logs() as logs:
        Settings().migration_inputs().progress("phone identities: 50,000 read")
    assert logs == [
        {
            "event": "migration_progress",
            "progress": "phone identities: 50,000 read",
            "log_level": "info",
        }
    ]
