"""``ServiceKit``: a service's settings, telemetry and database, opened in one call, and
the standard layer stack and app assembled from them (see :mod:`accord.kit`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncEngine

from accord.audit import AuditSink
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
from accord.config.live import LiveSettings
from accord.config.service import ServiceConfig
from accord.contract import Contract
from accord.observability.telemetry import Telemetry
from accord.runtime import App, Layer, ReadinessCheck
from accord.runtime.auth import Authentication, TokenVerifier
from accord.runtime.idempotency import IdempotencyLayer
from accord.runtime.lifespan import Hook
from accord.runtime.translation import Answers
from accord.security.tls import MutualTLSTransport
from accord.security.tokens import ClientCredentials
from accord.sql import SqlIdempotencyStore, create_engine, migrate, readiness

__all__ = ["DatabaseSettings", "ServiceKit", "own_database"]

S = TypeVar("S", bound=ServiceSettings)
A = TypeVar("A", bound=App)


@runtime_checkable
class DatabaseSettings(Protocol):
    """What the kit reads of a service's settings beyond
    :class:`~accord.config.common.ServiceSettings`: ``database_url``, the URL of its own
    database (the field :class:`~accord.config.common.DatabaseServiceSettings` declares),
    empty for SQLite under ``home`` (:func:`own_database`)."""

    @property
    def database_url(self) -> str:
        """``sqlite:///…`` or ``postgresql://…``; empty: SQLite under ``home``."""
        ...


def own_database(settings: ServiceSettings, service: str) -> str:
    """The URL of ``service``'s own database: the settings' ``database_url``, else SQLite
    at ``<home>/<service>.db``."""
    if not isinstance(settings, DatabaseSettings):
        raise TypeError(f"{type(settings).__name__} has no 'database_url' (DatabaseSettings)")
    return settings.database_url or f"sqlite:///{settings.home}/{service}.db"


@dataclass(frozen=True)
class ServiceKit(Generic[S]):
    """One service's configuration, telemetry and database engine, opened by :meth:`open`."""

    #: The name the service's configuration files, variables and certificate go by.
    service: str
    config: ServiceConfig[S]
    telemetry: Telemetry
    engine: AsyncEngine

    @classmethod
    def open(
        cls,
        settings_type: type[S],
        service: str,
        settings: S | None = None,
        *,
        contract: type[Contract],
        migrations: Path,
        version_table: str | None = None,
        telemetry: Telemetry | None = None,
    ) -> ServiceKit[S]:
        """Load the settings (``settings`` given: fixed, else the files and variables of
        ``service``), configure telemetry as ``contract`` (unless ``telemetry`` is given)
        following ``observability``, migrate the service's own database
        (:func:`own_database`) with the Alembic folder ``migrations`` and open its
        engine. Blocking: call it before serving.

        Alembic records the revision in ``version_table``, by default
        ``<service>_alembic_version``, so services may share one database."""
        config = ServiceConfig.of(settings_type, service, settings)
        loaded = config.settings
        database = own_database(loaded, service)
        telemetry = telemetry or Telemetry.configure(
            contract.name, contract.version, home=Path(loaded.home)
        )
        follow_observability(config, telemetry)
        version_table = version_table or f"{service}_alembic_version"
        migrate(database, migrations, version_table=version_table, isolated=True)
        return cls(service, config, telemetry, create_engine(database))

    @property
    def settings(self) -> S:
        """The settings the process started with."""
        return self.config.settings

    @property
    def live(self) -> LiveSettings[S]:
        """The settings as they are now (reloadable fields follow their files)."""
        return self.config.live

    def transport_to(
        self, peer: str, *, credentials: ClientCredentials | None = None
    ) -> MutualTLSTransport | None:
        """Mutual TLS to the service named ``peer`` as this service; ``None`` when the
        settings' ``tls`` is off (plain HTTP). With ``credentials``
        (``ClientCredentials.over_mtls``), each call's certificate-bound token is the one
        bound to the certificate its connection presents (RFC 8705; decision 0019)."""
        tls = self.settings.tls.config(self.service)
        return None if tls is None else MutualTLSTransport(tls, peer, credentials=credentials)

    def authentication(
        self,
        audience: str,
        *,
        verifier: TokenVerifier | None = None,
        keys_from: str | None = None,
        audit: AuditSink | None = None,
    ) -> Authentication | None:
        """The authentication layer for tokens issued to ``audience`` (``None`` when
        ``auth`` is off). ``verifier`` replaces the one that fetches the key set from
        ``auth.identity_url``, reached over mutual TLS as the service named
        ``keys_from`` when TLS is on; ``audit`` replaces the settings' audit trail."""
        transport = self.transport_to(keys_from) if keys_from is not None else None
        return self.settings.auth.authentication(
            audience, verifier=verifier, transport=transport, audit=audit
        )

    def layers(
        self,
        auth: Authentication | None,
        *,
        idempotency_table: str | None = None,
        lease: float | None = None,
        throttle: Layer | None = None,
        before_claim: Sequence[Layer] = (),
        after_claim: Sequence[Layer] = (),
        limit: Layer | Literal["rate_limits"] | None = "rate_limits",
    ) -> list[Layer]:
        """The standard stack, outermost first: the request's snapshot of the live
        settings, load shedding, ``auth``, ``throttle``, deadlines, injected faults,
        ``before_claim``, idempotency keys in ``idempotency_table`` (by default
        ``<service>_idempotency_keys``) with leases of ``lease`` seconds (default the
        runtime's), ``after_claim``, and ``limit``: the per-caller ``rate_limits`` by
        default, inside the idempotency layer so a replayed answer spends none (``None``:
        no limit there). ``None`` entries are left out."""
        live = self.live
        telemetry = self.telemetry
        stack: list[Layer | None] = [
            live.layer(),
            load_shedding(live, telemetry),
            auth,
            throttle,
            deadlines(live),
            fault_injection(live, telemetry),
            *before_claim,
            IdempotencyLayer(
                SqlIdempotencyStore(
                    self.engine, idempotency_table or f"{self.service}_idempotency_keys"
                ),
                retention=retention(live),
                lease=lease,
                telemetry=telemetry,
            ),
            *after_claim,
            rate_limit(live) if isinstance(limit, str) else limit,
        ]
        return [layer for layer in stack if layer is not None]

    def app(
        self,
        contract: type[Contract],
        implementation: object,
        *,
        auth: Authentication | None,
        layers: Sequence[Layer] | None = None,
        readiness_checks: Mapping[str, ReadinessCheck] | None = None,
        on_startup: Sequence[Hook] = (),
        on_shutdown: Sequence[Hook] = (),
        mount: Sequence[tuple[type[Contract], object]] = (),
        errors: Answers | None = None,
        app_type: Callable[..., A] = App,  # type: ignore[assignment]
        **options: Any,
    ) -> A:
        """The app serving ``implementation`` of ``contract`` (and each ``mount``ed pair)
        through ``layers`` (the standard stack for ``auth``, :meth:`layers`, unless
        given): readiness of the database and ``readiness_checks``; the
        configuration started first and stopped first, then ``on_startup`` and
        ``on_shutdown``, the engine disposed last; the metadata guarded as ``auth``
        says; ``GET /admin/config``; every operation's domain errors answered as
        ``errors`` (the entrypoint's one table) says. ``app_type`` (an :class:`App`
        subclass) gets ``options`` too."""
        app = app_type(
            contract,
            implementation,
            telemetry=self.telemetry,
            metadata_guard=self.settings.auth.metadata_guard(auth),
            readiness={"database": readiness(self.engine), **(readiness_checks or {})},
            on_startup=[self.config.start, *on_startup],
            on_shutdown=[self.config.stop, *on_shutdown, self.engine.dispose],
            layers=self.layers(auth) if layers is None else layers,
            errors=errors,
            **options,
        )
        for other, served in mount:
            app.mount(other, served)
        serve_admin(app, self.config, auth)
        return app
