"""Settings: documented, typed, secret references resolved, production refuses dev defaults."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from convonet.config import ConfigError, Settings, resolve_secret
from convonet.manifest import FUNCTIONS

CONFIG_DOC = (Path(__file__).resolve().parents[2] / "docs" / "CONFIG.md").read_text()
DOCUMENTED = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", CONFIG_DOC, flags=re.M))


def test_every_setting_is_documented() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    assert fields - DOCUMENTED == set(), "add these to docs/CONFIG.md"
    assert DOCUMENTED - fields == set(), "docs/CONFIG.md names settings the code does not read"


def test_every_manifest_setting_and_secret_exists() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    for spec in FUNCTIONS:
        missing = set(spec.all_settings() + spec.all_secrets()) - fields
        assert not missing, f"{spec.name} names unknown settings {missing}"


def test_environment_overrides(configure) -> None:  # type: ignore[no-untyped-def]
    settings = configure(LOGIN_MAX_FAILURES=3, TRANSFER_EXTENSIONS='{"sales": "3001"}')
    assert settings.login_max_failures == 3
    assert settings.transfer_extensions == {"sales": "3001"}


def test_plain_values_are_not_secret_references() -> None:
    assert resolve_secret("just-a-value") == "just-a-value"
    assert resolve_secret("projects/p/secrets/s") == "projects/p/secrets/s"


def test_production_refuses_dev_defaults(configure) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as info:
        configure(CONVONET_ENV="prod")
    message = str(info.value)
    assert "JWT_SECRET is the dev default" in message
    assert "PUBLIC_BASE_URL" in message


def test_production_starts_with_real_settings(configure) -> None:  # type: ignore[no-untyped-def]
    settings = configure(
        CONVONET_ENV="prod",
        JWT_SECRET="a" * 40,
        SERVICE_TOKEN_SECRET="b" * 40,
        PIN_HASH_SECRET="c" * 40,
        TWILIO_AUTH_TOKEN="d" * 32,
        CALENDAR_TOKEN_KEY="e" * 40,
        CLOUD_SQL_INSTANCE="p:r:i",
        PUBLIC_BASE_URL="https://voice.example.com",
    )
    assert settings.is_prod
    assert settings.secret("jwt_secret") == "a" * 40


def test_secrets_do_not_show_in_repr() -> None:
    assert "dev-only-jwt" not in repr(Settings())
