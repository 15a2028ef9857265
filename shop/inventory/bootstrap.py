"""The composition root of inventory: settings in, a served application out.

Read top to bottom: settings → schema → engine → storage → use cases → the contract's
implementation → the app (which seeds the demo catalogue when it starts). Nothing happens
at import time; ``accord serve shop.inventory.bootstrap:create_app`` calls
:func:`create_app`.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from accord.config import setting
from accord.config.common import DatabaseServiceSettings
from accord.kit import ServiceKit
from accord.observability.telemetry import Telemetry
from accord.runtime import App
from accord.runtime.auth import TokenVerifier
from shop.inventory.adapters import sql
from shop.inventory.application.catalogue import DEMO_CATALOGUE
from shop.inventory.application.services import InventoryService
from shop.inventory.contract import Inventory
from shop.inventory.entrypoint import ERRORS, InventoryEndpoint

__all__ = ["SERVICE", "Settings", "create_app"]

#: The name inventory's configuration files and variables go by.
SERVICE = "inventory"
Seed = Literal["demo", "none"]


class Settings(DatabaseServiceSettings, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything inventory is configured with: ``config/{base,<env>}/inventory.toml``,
    then the variables each field names (``docs/configuration.md``)."""

    schema_version: ClassVar[str] = "1.0.0"

    seed: Annotated[
        Seed,
        setting("Create the demo catalogue when there are no SKUs yet", env="INVENTORY_SEED"),
    ] = "demo"


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
    kit = ServiceKit.open(
        Settings,
        SERVICE,
        settings,
        contract=Inventory,
        migrations=sql.MIGRATIONS,
        telemetry=telemetry,
    )
    service = InventoryService(sql.unit_of_work(kit.engine))
    auth = kit.authentication(Inventory.name, verifier=verifier, keys_from="identity")

    async def seed_demo_catalogue() -> None:
        if await service.seed(DEMO_CATALOGUE):
            kit.telemetry.logger.info("catalogue_seeded", skus=len(DEMO_CATALOGUE))

    return kit.app(
        Inventory,
        InventoryEndpoint(service),
        auth=auth,
        errors=ERRORS,
        on_startup=[seed_demo_catalogue] if kit.settings.seed == "demo" else [],
    )
