"""Orders' settings: defaults and the variables orders has always honoured."""

from __future__ import annotations

from accord.config.load import from_environment
from accord.flags import FlagSettings
from accord.kit import own_database
from shop.orders.bootstrap import Settings
from tests.support.processes import ROOT


def test_defaults() -> None:
    settings = from_environment(Settings, "orders", {})
    assert settings == Settings()
    assert own_database(settings, "orders") == "sqlite:///.accord/orders.db"
    assert (settings.inventory_url, settings.payments_url) == (
        "http://127.0.0.1:8102",
        "http://127.0.0.1:8103",
    )
    assert settings.rate_limits == {"place_order": "10/1s:20"}


def test_everything_can_be_given() -> None:
    settings = from_environment(
        Settings,
        "orders",
        {
            "ACCORD_HOME": "/srv",
            "ORDERS_DATABASE_URL": "postgresql://u@db/orders",
            "ACCORD_URL_INVENTORY": "http://inv:1",
            "ACCORD_URL_PAYMENTS": "http://pay:2",
            "ORDERS_MAX_IN_FLIGHT": "7",
            "ACCORD_FAULTS": '{"abort": {"status": 503, "percent": 5}}',
        },
    )
    assert (settings.home, own_database(settings, "orders")) == ("/srv", "postgresql://u@db/orders")
    assert (settings.inventory_url, settings.payments_url) == ("http://inv:1", "http://pay:2")
    assert settings.max_in_flight == 7
    assert settings.faults is not None and settings.faults.abort is not None
    srv = from_environment(Settings, "orders", {"ACCORD_HOME": "/srv"})
    assert own_database(srv, "orders") == "sqlite:////srv/orders.db"


def test_flags_come_from_the_file_of_the_environment_unless_configured() -> None:
    # Unset, create_app reads $ACCORD_FLAGS_*: config/<env>/flags.json by default.
    assert from_environment(Settings, "orders", {}).flags is None
    assert FlagSettings.from_env({}) == FlagSettings(
        provider="file", path=str(ROOT / "config" / "dev" / "flags.json")
    )
