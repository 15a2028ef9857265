"""Payments' settings come from one mapping, read once."""

from __future__ import annotations

from shop.payments.bootstrap import Settings


def test_defaults_live_under_the_home() -> None:
    assert Settings.from_env({}) == Settings(
        home=".accord", database_url="sqlite:///.accord/payments.db"
    )
    assert Settings.from_env({"ACCORD_HOME": "/srv/shop"}).database_url == (
        "sqlite:////srv/shop/payments.db"
    )


def test_the_database_url_can_be_given() -> None:
    settings = Settings.from_env(
        {"ACCORD_HOME": "/x", "PAYMENTS_DATABASE_URL": "postgresql://u@db/payments"}
    )
    assert settings == Settings(home="/x", database_url="postgresql://u@db/payments")
