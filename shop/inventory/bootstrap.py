"""The composition root of inventory: settings in, a served application out.

Read top to bottom: settings → schema → engine → storage → use cases → the contract's
implementation → the app (which seeds the demo catalogue when it starts). Nothing happens
at import time; ``accord serve shop.inventory.bootstrap:create_app`` calls
:func:`create_app`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import msgspec

from accord.observability.telemetry import Telemetry
from accord.runtime import App, Layer
from accord.runtime.auth import AuthSettings, TokenVerifier
from accord.runtime.deadlines import Deadlines
from accord.runtime.faults import FaultConfig, FaultInjection, faults_from_env
from accord.runtime.idempotency import DEFAULT_RETENTION, Idempotency, retention_from_env
from accord.runtime.shedding import DEFAULT_MAX_IN_FLIGHT, LoadShedding, max_in_flight_from_env
from accord.security.tls import MutualTLSTransport, TLSConfig
from accord.sql import SqlIdempotencyStore, create_engine, migrate, readiness
from shop.inventory.adapters import sql
from shop.inventory.application.catalogue import DEMO_CATALOGUE
from shop.inventory.application.services import InventoryService
from shop.inventory.contract import Inventory
from shop.inventory.entrypoint import InventoryEndpoint

__all__ = ["Settings", "SettingsError", "create_app"]

Seed = Literal["demo", "none"]
_SEEDS: tuple[Seed, ...] = ("demo", "none")
#: Where inventory keeps the answers to idempotency keys (its own database).
IDEMPOTENCY_TABLE = "inventory_idempotency_keys"


class SettingsError(ValueError):
    """An environment variable has a value inventory cannot use."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything inventory is configured with, read once; ``auth``: how callers' tokens
    are checked (``docs/security.md``)."""

    home: str = ".accord"
    database_url: str = "sqlite:///.accord/inventory.db"
    seed: Seed = "demo"
    auth: AuthSettings = msgspec.field(default_factory=AuthSettings)
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    idempotency_retention: float = DEFAULT_RETENTION
    faults: FaultConfig | None = None
    #: Mutual TLS (``ACCORD_TLS_DIR``): identity's keys are fetched over it.
    tls: TLSConfig | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """``ACCORD_HOME`` (default ``.accord``), ``INVENTORY_DATABASE_URL`` (default
        ``sqlite:///<home>/inventory.db``) and ``INVENTORY_SEED`` (``demo``, the default,
        or ``none``).

        Resilience: ``INVENTORY_MAX_IN_FLIGHT`` or ``ACCORD_MAX_IN_FLIGHT`` (load shedding,
        default 512), ``ACCORD_IDEMPOTENCY_RETENTION`` (seconds, default 24 h) and
        ``INVENTORY_FAULTS`` or ``ACCORD_FAULTS`` (fault injection, off by default; see
        ``docs/resilience.md``)."""
        home = environ.get("ACCORD_HOME") or ".accord"
        url = environ.get("INVENTORY_DATABASE_URL") or f"sqlite:///{home}/inventory.db"
        seed = (environ.get("INVENTORY_SEED") or "demo").strip().lower()
        if seed not in _SEEDS:
            raise SettingsError(f"INVENTORY_SEED must be 'demo' or 'none', not {seed!r}")
        try:
            return cls(
                home=home,
                database_url=url,
                seed=seed,
                auth=AuthSettings.from_env(environ),
                max_in_flight=max_in_flight_from_env(environ, "inventory"),
                idempotency_retention=retention_from_env(environ),
                faults=faults_from_env(environ, "inventory"),
                tls=TLSConfig.from_env(environ, name=environ.get("ACCORD_SERVICE") or "inventory"),
            )
        except ValueError as exc:
            raise SettingsError(str(exc)) from None


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
    settings = settings if settings is not None else Settings.from_env(os.environ)
    telemetry = telemetry or Telemetry.configure(
        Inventory.name, Inventory.version, home=Path(settings.home)
    )
    migrate(settings.database_url, sql.MIGRATIONS, version_table=sql.VERSION_TABLE, isolated=True)
    engine = create_engine(settings.database_url)
    service = InventoryService(sql.unit_of_work(engine))
    identity = MutualTLSTransport(settings.tls, "identity") if settings.tls else None
    auth = settings.auth.authentication(Inventory.name, verifier=verifier, transport=identity)

    layers: list[Layer] = [
        LoadShedding(settings.max_in_flight, telemetry=telemetry),
        *([auth] if auth is not None else []),
        Deadlines(),
        FaultInjection(settings.faults, telemetry=telemetry),
        Idempotency(
            SqlIdempotencyStore(engine, IDEMPOTENCY_TABLE),
            retention=settings.idempotency_retention,
            telemetry=telemetry,
        ),
    ]

    async def seed_demo_catalogue() -> None:
        if await service.seed(DEMO_CATALOGUE):
            telemetry.logger.info("catalogue_seeded", skus=len(DEMO_CATALOGUE))

    return App(
        Inventory,
        InventoryEndpoint(service),
        telemetry=telemetry,
        metadata_guard=settings.auth.metadata_guard(auth),
        readiness={"database": readiness(engine)},
        on_startup=[seed_demo_catalogue] if settings.seed == "demo" else [],
        on_shutdown=[engine.dispose],
        layers=layers,
    )
