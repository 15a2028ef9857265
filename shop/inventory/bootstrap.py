"""The composition root of inventory: settings in, a served application out.

Read top to bottom: settings → schema → engine → storage → use cases → the contract's
implementation → the app (which seeds the demo catalogue when it starts). Nothing happens
at import time; ``accord serve shop.inventory.bootstrap:create_app`` calls
:func:`create_app`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, ClassVar, Literal

from accord.config import ServiceConfig, setting
from accord.config.common import (
    ServiceSettings,
    deadlines,
    fault_injection,
    follow_observability,
    load_shedding,
    rate_limit,
    retention,
    serve_admin,
)
from accord.observability.telemetry import Telemetry
from accord.runtime import App, Layer
from accord.runtime.auth import TokenVerifier
from accord.runtime.idempotency import IdempotencyLayer
from accord.security.tls import MutualTLSTransport
from accord.sql import SqlIdempotencyStore, create_engine, migrate, readiness
from shop.inventory.adapters import sql
from shop.inventory.application.catalogue import DEMO_CATALOGUE
from shop.inventory.application.services import InventoryService
from shop.inventory.contract import Inventory
from shop.inventory.entrypoint import InventoryEndpoint

__all__ = ["SERVICE", "Settings", "create_app"]

#: The name inventory's configuration files and variables go by.
SERVICE = "inventory"
Seed = Literal["demo", "none"]
#: Where inventory keeps the answers to idempotency keys (its own database).
IDEMPOTENCY_TABLE = "inventory_idempotency_keys"


class Settings(ServiceSettings, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything inventory is configured with: ``config/{base,<env>}/inventory.toml``,
    then the variables each field names (``docs/configuration.md``)."""

    schema_version: ClassVar[str] = "1.0.0"

    database_url: Annotated[
        str,
        setting(
            "Inventory's database (empty: SQLite under home)",
            pinned=True,
            env="INVENTORY_DATABASE_URL",
        ),
    ] = ""
    seed: Annotated[
        Seed,
        setting("Create the demo catalogue when there are no SKUs yet", env="INVENTORY_SEED"),
    ] = "demo"

    @property
    def database(self) -> str:
        """The database URL, SQLite under ``home`` unless one is configured."""
        return self.database_url or f"sqlite:///{self.home}/inventory.db"


def create_app(
    settings: Settings | None = None,
    *,
    telemetry: Telemetry | None = None,
    verifier: TokenVerifier | None = None,
) -> App:
    """Migrate the database and assemble inventory.

    With ``seed="demo"`` the demo catalogue is created when the app starts (ASGI
    lifespan) and there are no SKUs yet. Operations ask for the tokens their scopes say
    unless ``settings.auth`` is off; ``verifier`` replaces the identity service's keys.
    """
    config = ServiceConfig.of(Settings, SERVICE, settings)
    settings, live = config.settings, config.live
    telemetry = telemetry or Telemetry.configure(
        Inventory.name, Inventory.version, home=Path(settings.home)
    )
    follow_observability(config, telemetry)
    migrate(settings.database, sql.MIGRATIONS, version_table=sql.VERSION_TABLE, isolated=True)
    engine = create_engine(settings.database)
    service = InventoryService(sql.unit_of_work(engine))
    tls = settings.tls.config(SERVICE)
    identity = MutualTLSTransport(tls, "identity") if tls is not None else None
    auth = settings.auth.authentication(Inventory.name, verifier=verifier, transport=identity)

    layers: list[Layer] = [
        live.layer(),
        load_shedding(live, telemetry),
        *([auth] if auth is not None else []),
        deadlines(live),
        fault_injection(live, telemetry),
        IdempotencyLayer(
            SqlIdempotencyStore(engine, IDEMPOTENCY_TABLE),
            retention=retention(live),
            telemetry=telemetry,
        ),
        rate_limit(live),
    ]

    async def seed_demo_catalogue() -> None:
        if await service.seed(DEMO_CATALOGUE):
            telemetry.logger.info("catalogue_seeded", skus=len(DEMO_CATALOGUE))

    seeding = [seed_demo_catalogue] if settings.seed == "demo" else []
    app = App(
        Inventory,
        InventoryEndpoint(service),
        telemetry=telemetry,
        metadata_guard=settings.auth.metadata_guard(auth),
        readiness={"database": readiness(engine)},
        on_startup=[config.start, *seeding],
        on_shutdown=[config.stop, engine.dispose],
        layers=layers,
    )
    serve_admin(app, config, auth)
    return app
