"""Identity's settings: read once from the environment, refused in one line when wrong."""

from __future__ import annotations

import pytest

from shop.identity.bootstrap import Settings, SettingsError


def test_defaults_and_the_issuer_every_verifier_computes_too() -> None:
    plain = Settings.from_env({})
    assert plain.issuer == "http://127.0.0.1:8104"
    assert (plain.token_lifetime, plain.dev_login, plain.scrypt_log_n) == (900, False, 15)
    assert plain.database_url == "sqlite:///.accord/identity.db"
    up = Settings.from_env({"ACCORD_URL_IDENTITY": "https://127.0.0.1:9000/", "ACCORD_HOME": "h"})
    assert up.issuer == "https://127.0.0.1:9000" and up.database_url == "sqlite:///h/identity.db"
    named = Settings.from_env(
        {"ACCORD_URL_IDENTITY": "http://x", "ACCORD_TOKEN_ISSUER": "https://id.shop.example"}
    )
    assert named.issuer == "https://id.shop.example"
    dev = Settings.from_env({"IDENTITY_DEV_LOGIN": "1", "IDENTITY_TOKEN_LIFETIME": "60"})
    assert dev.dev_login and dev.token_lifetime == 60


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("IDENTITY_DEV_LOGIN", "maybe", "IDENTITY_DEV_LOGIN must be 'on' or 'off'"),
        ("IDENTITY_TOKEN_LIFETIME", "10", "between 60 and 3600"),
        ("IDENTITY_TOKEN_LIFETIME", "soon", "a whole number"),
        ("IDENTITY_SCRYPT_LOG_N", "30", "between 10 and 20"),
        ("IDENTITY_LOGIN_RATE", "0", "between 1 and 10000"),
        ("IDENTITY_MAX_IN_FLIGHT", "-1", "IDENTITY_MAX_IN_FLIGHT"),
    ],
)
def test_bad_values_are_refused_in_one_line(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as caught:
        Settings.from_env({name: value})
    assert "\n" not in str(caught.value)
