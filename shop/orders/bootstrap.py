"""The composition root of orders: settings in, a served application out.

Read top to bottom: settings → telemetry → schema → engine → storage → clients of
inventory and payments → use cases → the contract's implementations (version 1, still
served but deprecated, and version 2, both over the same use cases) → the app. Nothing
happens at import time; ``accord serve shop.orders.bootstrap:create_app`` calls
:func:`create_app`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import httpx
import msgspec

from accord.observability.telemetry import Telemetry
from accord.runtime import App, Layer
from accord.runtime.auth import AuthSettings, TokenVerifier
from accord.runtime.deadlines import Deadlines
from accord.runtime.faults import FaultConfig, FaultInjection, faults_from_env
from accord.runtime.idempotency import DEFAULT_RETENTION, Idempotency, retention_from_env
from accord.runtime.ratelimit import Rate, RateLimit
from accord.runtime.shedding import DEFAULT_MAX_IN_FLIGHT, LoadShedding, max_in_flight_from_env
from accord.security.tls import MutualTLSTransport, TLSConfig
from accord.security.tokens import ClientCredentials
from accord.sql import SqlIdempotencyStore, create_engine, migrate, readiness
from shop.orders.adapters import sql
from shop.orders.adapters.credentials import SCOPES, Bearer, Credentials
from shop.orders.adapters.inventory import InventoryGateway
from shop.orders.adapters.payments import PaymentsGateway
from shop.orders.application.recovery import Recovery
from shop.orders.application.services import OrderService, utc_now
from shop.orders.contract import Orders
from shop.orders.contract_v2 import OrdersV2
from shop.orders.entrypoint import OrdersEndpoint
from shop.orders.entrypoint_v2 import OrdersV2Endpoint

__all__ = ["MIGRATIONS", "Settings", "create_app"]

#: Where inventory and payments answer when nothing says otherwise (``accord up``'s ports).
DEFAULT_INVENTORY_URL = "http://127.0.0.1:8102"
DEFAULT_PAYMENTS_URL = "http://127.0.0.1:8103"

#: The identity service's token endpoint (client credentials), under its base URL.
TOKEN_PATH = "/v1/token"  # noqa: S105 - a path, not a secret
#: How fast one customer may place orders: 10 a second, 20 at once.
PLACE_ORDER_RATE = Rate(10, per=1.0, burst=20)

#: The folder of orders' Alembic migrations.
MIGRATIONS = Path(sql.__file__).parent / "migrations"
#: Where orders keeps the answers to idempotency keys (its own database).
IDEMPOTENCY_TABLE = "orders_idempotency_keys"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything orders is configured with, read once.

    ``tls`` (from ``ACCORD_TLS_DIR``, ``ACCORD_SERVICE``): when set, orders calls
    inventory and payments over mutual TLS with its own certificate and accepts only
    their SPIFFE ids (``docs/certificates.md``). ``auth``: how callers' tokens are
    checked, and where orders gets its own token (``docs/security.md``).
    """

    home: str = ".accord"
    database_url: str = "sqlite:///.accord/orders.db"
    inventory_url: str = DEFAULT_INVENTORY_URL
    payments_url: str = DEFAULT_PAYMENTS_URL
    currency: str = "EUR"
    tls: TLSConfig | None = None
    auth: AuthSettings = msgspec.field(default_factory=AuthSettings)
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    idempotency_retention: float = DEFAULT_RETENTION
    faults: FaultConfig | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """``ACCORD_HOME`` (default ``.accord``), ``ORDERS_DATABASE_URL`` (default
        ``sqlite:///<home>/orders.db``), ``ACCORD_URL_INVENTORY`` and
        ``ACCORD_URL_PAYMENTS`` (defaults ``http://127.0.0.1:8102`` and ``…:8103``).

        Resilience: ``ORDERS_MAX_IN_FLIGHT`` or ``ACCORD_MAX_IN_FLIGHT`` (load shedding,
        default 512), ``ACCORD_IDEMPOTENCY_RETENTION`` (seconds, default 24 h) and
        ``ORDERS_FAULTS`` or ``ACCORD_FAULTS`` (fault injection, off by default; see
        ``docs/resilience.md``)."""
        home = environ.get("ACCORD_HOME") or ".accord"
        return cls(
            home=home,
            database_url=environ.get("ORDERS_DATABASE_URL") or f"sqlite:///{home}/orders.db",
            inventory_url=environ.get("ACCORD_URL_INVENTORY") or DEFAULT_INVENTORY_URL,
            payments_url=environ.get("ACCORD_URL_PAYMENTS") or DEFAULT_PAYMENTS_URL,
            tls=TLSConfig.from_env(environ, name=environ.get("ACCORD_SERVICE") or "orders"),
            auth=AuthSettings.from_env(environ),
            max_in_flight=max_in_flight_from_env(environ, "orders"),
            idempotency_retention=retention_from_env(environ),
            faults=faults_from_env(environ, "orders"),
        )


def create_app(
    settings: Settings | None = None,
    *,
    telemetry: Telemetry | None = None,
    inventory_transport: httpx.AsyncBaseTransport | None = None,
    payments_transport: httpx.AsyncBaseTransport | None = None,
    verifier: TokenVerifier | None = None,
    credentials: Credentials | None = None,
) -> App:
    """Migrate the database and assemble orders: ``/v1/...`` and ``/v2/...``.

    The transports replace the network to inventory and payments (tests pass
    ``httpx.ASGITransport(app)`` to run those services in-process). Unless
    ``settings.auth`` is off, callers need the tokens the operations' scopes say
    (``verifier`` replaces the identity service's keys), each customer may place
    orders at :data:`PLACE_ORDER_RATE`, and orders calls inventory and payments with
    a token of its own, of :data:`~shop.orders.adapters.credentials.SCOPES` only
    (``credentials`` replaces the identity service's client credentials).
    """
    settings = settings if settings is not None else Settings.from_env(os.environ)
    telemetry = telemetry or Telemetry.configure(
        OrdersV2.name, OrdersV2.version, home=Path(settings.home)
    )
    migrate(settings.database_url, MIGRATIONS, version_table=sql.VERSION_TABLE, isolated=True)
    engine = create_engine(settings.database_url)
    if settings.tls is not None:
        inventory_transport = inventory_transport or MutualTLSTransport(settings.tls, "inventory")
        payments_transport = payments_transport or MutualTLSTransport(settings.tls, "payments")
    identity_transport = (
        MutualTLSTransport(settings.tls, "identity") if settings.tls is not None else None
    )
    if credentials is None and settings.auth.enabled:
        credentials = ClientCredentials.from_file(
            settings.auth.identity_url + TOKEN_PATH,
            Path(settings.home) / "identity" / "clients.json",
            "orders",
            scopes=SCOPES,
            transport=identity_transport,
        )
    bearer = Bearer(credentials)
    auth = settings.auth.authentication(
        OrdersV2.name, verifier=verifier, transport=identity_transport
    )
    inventory = InventoryGateway.connect(
        settings.inventory_url, transport=inventory_transport, telemetry=telemetry, bearer=bearer
    )
    payments = PaymentsGateway.connect(
        settings.payments_url, transport=payments_transport, telemetry=telemetry, bearer=bearer
    )
    service = OrderService(
        sql.unit_of_work(engine),
        inventory,
        payments,
        currency=settings.currency,
    )
    # The rate limit sits inside the idempotency layer: a retry answered from the key's
    # stored response, or refused as still in flight, spends none of the customer's rate.
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
        RateLimit({"place_order": PLACE_ORDER_RATE}),
    ]
    recovery = Recovery(sql.unit_of_work(engine), inventory, payments, clock=utc_now)
    app = App(
        Orders,
        OrdersEndpoint(service),
        telemetry=telemetry,
        metadata_guard=settings.auth.metadata_guard(auth),
        readiness={"database": readiness(engine)},
        on_startup=[recovery.start],
        on_shutdown=[recovery.stop, inventory.aclose, payments.aclose, engine.dispose],
        layers=layers,
    )
    app.mount(OrdersV2, OrdersV2Endpoint(service))
    return app
