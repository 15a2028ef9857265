"""The composition root of payments: settings in, a served application out.

Read top to bottom: settings → schema → engine → storage and processor → use cases →
the contract's implementation → the app. Nothing happens at import time;
``accord serve shop.payments.bootstrap:create_app`` calls :func:`create_app`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

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
from shop.payments.adapters import sql
from shop.payments.adapters.processor import ProcessorGateway, SimulatedProcessor
from shop.payments.application.services import PaymentService
from shop.payments.contract import Payments
from shop.payments.entrypoint import PaymentsEndpoint

__all__ = ["MIGRATIONS", "Settings", "create_app"]

#: The folder of payments' Alembic migrations.
MIGRATIONS = Path(sql.__file__).parent / "migrations"
#: Where payments keeps the answers to idempotency keys (its own database).
IDEMPOTENCY_TABLE = "payments_idempotency_keys"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything payments is configured with, read once; ``auth``: how callers' tokens
    are checked (``docs/security.md``)."""

    home: str = ".accord"
    database_url: str = "sqlite:///.accord/payments.db"
    auth: AuthSettings = msgspec.field(default_factory=AuthSettings)
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    idempotency_retention: float = DEFAULT_RETENTION
    faults: FaultConfig | None = None
    #: Mutual TLS (``ACCORD_TLS_DIR``): identity's keys are fetched over it.
    tls: TLSConfig | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """``ACCORD_HOME`` (default ``.accord``) and ``PAYMENTS_DATABASE_URL`` (default
        ``sqlite:///<home>/payments.db``).

        Resilience: ``PAYMENTS_MAX_IN_FLIGHT`` or ``ACCORD_MAX_IN_FLIGHT`` (load shedding,
        default 512), ``ACCORD_IDEMPOTENCY_RETENTION`` (seconds, default 24 h) and
        ``PAYMENTS_FAULTS`` or ``ACCORD_FAULTS`` (fault injection, off by default; see
        ``docs/resilience.md``)."""
        home = environ.get("ACCORD_HOME") or ".accord"
        url = environ.get("PAYMENTS_DATABASE_URL") or f"sqlite:///{home}/payments.db"
        return cls(
            home=home,
            database_url=url,
            auth=AuthSettings.from_env(environ),
            max_in_flight=max_in_flight_from_env(environ, "payments"),
            idempotency_retention=retention_from_env(environ),
            faults=faults_from_env(environ, "payments"),
            tls=TLSConfig.from_env(environ, name=environ.get("ACCORD_SERVICE") or "payments"),
        )


def create_app(
    settings: Settings | None = None,
    *,
    telemetry: Telemetry | None = None,
    processor: SimulatedProcessor | None = None,
    verifier: TokenVerifier | None = None,
) -> App:
    """Migrate the database and assemble payments; ``processor`` replaces the simulated one.

    Operations ask for the tokens their scopes say unless ``settings.auth`` is off;
    ``verifier`` replaces the identity service's keys.
    """
    settings = settings if settings is not None else Settings.from_env(os.environ)
    telemetry = telemetry or Telemetry.configure(
        Payments.name, Payments.version, home=Path(settings.home)
    )
    migrate(settings.database_url, MIGRATIONS, version_table=sql.VERSION_TABLE, isolated=True)
    engine = create_engine(settings.database_url)
    service = PaymentService(
        sql.unit_of_work(engine),
        ProcessorGateway(
            processor
            if processor is not None
            else SimulatedProcessor(journal=Path(settings.home) / "processor.jsonl")
        ),
    )
    identity = MutualTLSTransport(settings.tls, "identity") if settings.tls else None
    auth = settings.auth.authentication(Payments.name, verifier=verifier, transport=identity)
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
    return App(
        Payments,
        PaymentsEndpoint(service),
        telemetry=telemetry,
        metadata_guard=settings.auth.metadata_guard(auth),
        readiness={"database": readiness(engine)},
        on_shutdown=[engine.dispose],
        layers=layers,
    )
