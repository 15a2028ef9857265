"""Every service's database URL: the one field of ``DatabaseServiceSettings``, still
overridden by the variable each service has always honoured."""

from __future__ import annotations

import pytest

from accord.config.common import DatabaseServiceSettings
from accord.config.load import from_environment
from accord.kit import own_database
from accord.project import import_object

SERVICES = ["identity", "inventory", "orders", "payments"]


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_reads_its_own_variable(service: str) -> None:
    settings_type = import_object(f"shop.{service}.bootstrap:Settings")
    assert issubclass(settings_type, DatabaseServiceSettings)
    url = f"postgresql://u@db/{service}"
    given = from_environment(settings_type, service, {f"{service.upper()}_DATABASE_URL": url})
    assert given.database_url == url
    assert own_database(given, service) == url
    others = {f"{other.upper()}_DATABASE_URL": "postgresql://u@db/x" for other in SERVICES}
    del others[f"{service.upper()}_DATABASE_URL"]
    plain = from_environment(settings_type, service, {"ACCORD_HOME": "/srv", **others})
    assert own_database(plain, service) == f"sqlite:////srv/{service}.db"
