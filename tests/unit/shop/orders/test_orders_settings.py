"""Orders' settings come from one mapping, read once."""

from __future__ import annotations

from accord.flags import FlagSettings
from shop.orders.bootstrap import Settings
from tests.support.processes import ROOT


def test_defaults() -> None:
    assert Settings.from_env({}) == Settings(
        home=".accord",
        database_url="sqlite:///.accord/orders.db",
        inventory_url="http://127.0.0.1:8102",
        payments_url="http://127.0.0.1:8103",
        flags=FlagSettings(provider="file", path=str(ROOT / "config" / "dev" / "flags.json")),
    )


def test_everything_can_be_given() -> None:
    settings = Settings.from_env(
        {
            "ACCORD_HOME": "/srv",
            "ORDERS_DATABASE_URL": "postgresql://u@db/orders",
            "ACCORD_URL_INVENTORY": "http://inv:1",
            "ACCORD_URL_PAYMENTS": "http://pay:2",
        }
    )
    assert (settings.home, settings.database_url) == ("/srv", "postgresql://u@db/orders")
    assert (settings.inventory_url, settings.payments_url) == ("http://inv:1", "http://pay:2")
    assert Settings.from_env({"ACCORD_HOME": "/srv"}).database_url == "sqlite:////srv/orders.db"
