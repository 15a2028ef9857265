"""The composition root of payments: settings in, a served application out.

Read top to bottom: settings → schema → engine → storage and processor → use cases →
the contract's implementation → the app. Nothing happens at import time;
``accord serve shop.payments.bootstrap:create_app`` calls :func:`create_app`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, ClassVar

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
from accord.config.secrets import resolve
from accord.observability.telemetry import Telemetry
from accord.runtime import App, Layer
from accord.runtime.auth import TokenVerifier
from accord.runtime.idempotency import IdempotencyLayer
from accord.security.tls import MutualTLSTransport
from accord.sql import SqlIdempotencyStore, create_engine, migrate, readiness
from shop.payments.adapters import sql
from shop.payments.adapters.processor import ProcessorGateway, SimulatedProcessor
from shop.payments.application.services import PaymentService
from shop.payments.contract import Payments
from shop.payments.entrypoint import PaymentsEndpoint

__all__ = ["MIGRATIONS", "SERVICE", "Settings", "create_app"]

#: The name payments' configuration files and variables go by.
SERVICE = "payments"
#: The folder of payments' Alembic migrations.
MIGRATIONS = Path(sql.__file__).parent / "migrations"
#: Where payments keeps the answers to idempotency keys (its own database).
IDEMPOTENCY_TABLE = "payments_idempotency_keys"


class Settings(ServiceSettings, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything payments is configured with: ``config/{base,<env>}/payments.toml``,
    then the variables each field names (``docs/configuration.md``)."""

    schema_version: ClassVar[str] = "1.0.0"

    database_url: Annotated[
        str,
        setting(
            "Payments' database (empty: SQLite under home)",
            pinned=True,
            env="PAYMENTS_DATABASE_URL",
        ),
    ] = ""
    processor_key: Annotated[
        str,
        setting(
            "The card processor's API key: env:NAME or file:PATH (unused by the simulator)",
            secret=True,
            pinned=True,
        ),
    ] = ""

    @property
    def database(self) -> str:
        """The database URL, SQLite under ``home`` unless one is configured."""
        return self.database_url or f"sqlite:///{self.home}/payments.db"


def create_app(
    settings: Settings | None = None,
    *,
    telemetry: Telemetry | None = None,
    processor: SimulatedProcessor | None = None,
    verifier: TokenVerifier | None = None,
) -> App:
    """Migrate the database and assemble payments; ``processor`` replaces the simulated one.

    Operations ask for the tokens their scopes say unless ``settings.auth`` is off;
    ``verifier`` replaces the identity service's keys. A configured ``processor_key``
    must resolve (the simulator needs none, a real processor would).
    """
    config = ServiceConfig.of(Settings, SERVICE, settings)
    settings, live = config.settings, config.live
    if settings.processor_key:
        resolve(settings.processor_key, key="processor_key")
    telemetry = telemetry or Telemetry.configure(
        Payments.name, Payments.version, home=Path(settings.home)
    )
    follow_observability(config, telemetry)
    migrate(settings.database, MIGRATIONS, version_table=sql.VERSION_TABLE, isolated=True)
    engine = create_engine(settings.database)
    service = PaymentService(
        sql.unit_of_work(engine),
        ProcessorGateway(
            processor
            if processor is not None
            else SimulatedProcessor(journal=Path(settings.home) / "processor.jsonl")
        ),
    )
    tls = settings.tls.config(SERVICE)
    identity = MutualTLSTransport(tls, "identity") if tls is not None else None
    auth = settings.auth.authentication(Payments.name, verifier=verifier, transport=identity)
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
    app = App(
        Payments,
        PaymentsEndpoint(service),
        telemetry=telemetry,
        metadata_guard=settings.auth.metadata_guard(auth),
        readiness={"database": readiness(engine)},
        on_startup=[config.start],
        on_shutdown=[config.stop, engine.dispose],
        layers=layers,
    )
    serve_admin(app, config, auth)
    return app
