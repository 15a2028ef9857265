"""Payments' settings: defaults and the variables payments has always honoured."""

from __future__ import annotations

import pytest

from accord.config import ConfigError
from accord.config.load import from_environment
from accord.kit import own_database
from shop.payments.bootstrap import Settings


def test_defaults_live_under_the_home() -> None:
    plain = from_environment(Settings, "payments", {})
    assert own_database(plain, "payments") == "sqlite:///.accord/payments.db"
    under = from_environment(Settings, "payments", {"ACCORD_HOME": "/srv/shop"})
    assert own_database(under, "payments") == "sqlite:////srv/shop/payments.db"


def test_the_database_url_can_be_given() -> None:
    settings = from_environment(
        Settings, "payments", {"ACCORD_HOME": "/x", "PAYMENTS_DATABASE_URL": "postgresql://u@db/p"}
    )
    assert settings == Settings(home="/x", database_url="postgresql://u@db/p")


def test_a_bad_fault_configuration_is_refused_with_its_variable() -> None:
    with pytest.raises(ConfigError, match=r"^\$PAYMENTS_FAULTS: faults: .*status") as caught:
        from_environment(Settings, "payments", {"PAYMENTS_FAULTS": '{"abort": {"status": 200}}'})
    assert "\n" not in str(caught.value)
