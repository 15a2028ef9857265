"""Identity's settings: defaults and the variables identity has always honoured."""

from __future__ import annotations

import pytest

from accord.config import ConfigError
from accord.config.load import from_environment
from accord.kit import own_database
from shop.identity.bootstrap import Settings


def env(**values: str) -> Settings:
    return from_environment(Settings, "identity", values)


def test_defaults_and_the_issuer_every_verifier_computes_too() -> None:
    plain = env()
    assert plain.token_issuer == "http://127.0.0.1:8104"
    assert (plain.token_lifetime, plain.dev_login, plain.scrypt_log_n) == (900, False, 15)
    assert own_database(plain, "identity") == "sqlite:///.accord/identity.db"
    up = env(ACCORD_ISSUER_URL="https://127.0.0.1:9000/", ACCORD_HOME="h")
    assert (
        up.token_issuer == "https://127.0.0.1:9000"
        and own_database(up, "identity") == "sqlite:///h/identity.db"
    )
    named = env(ACCORD_ISSUER_URL="http://x", ACCORD_TOKEN_ISSUER="https://id.shop.example")
    assert named.token_issuer == "https://id.shop.example"
    dev = env(IDENTITY_DEV_LOGIN="1", IDENTITY_TOKEN_LIFETIME="60")
    assert dev.dev_login and dev.token_lifetime == 60


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("IDENTITY_DEV_LOGIN", "maybe", "must be 'on' or 'off'"),
        ("IDENTITY_TOKEN_LIFETIME", "10", ">= 60"),
        ("IDENTITY_TOKEN_LIFETIME", "soon", "Expected int"),
        ("IDENTITY_SCRYPT_LOG_N", "30", "<= 20"),
        ("IDENTITY_LOGIN_RATE", "0", ">= 1"),
        ("IDENTITY_MAX_IN_FLIGHT", "-1", ">= 1"),
    ],
)
def test_bad_values_are_refused_in_one_line(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        env(**{name: value})
    assert str(caught.value).startswith(f"${name}: ")
    assert "\n" not in str(caught.value)
