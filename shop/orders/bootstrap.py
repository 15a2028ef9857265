"""The composition root of orders: settings in, a served application out.

Read top to bottom: settings → telemetry → schema → engine → storage → clients of
inventory and payments → use cases → the contract's implementations (version 1, still
served but deprecated, and version 2, both over the same use cases) → the app. Nothing
happens at import time; ``accord serve shop.orders.bootstrap:create_app`` calls
:func:`create_app`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, ClassVar

import httpx
import msgspec

from accord.client import BearerAuth
from accord.config import section, setting
from accord.config.common import DatabaseServiceSettings, RateText
from accord.config.sections import ClientSettings
from accord.flags import Flags, FlagSettings
from accord.kit import ServiceKit
from accord.observability.telemetry import Telemetry
from accord.runtime import App
from accord.runtime.auth import TokenVerifier
from accord.security.clientkeys import ClientKeys
from accord.security.tokens import ClientCredentials
from shop.orders.adapters import sql
from shop.orders.adapters.checkpoints import CheckpointLayer
from shop.orders.adapters.credentials import SCOPES, Credentials
from shop.orders.adapters.inventory import InventoryGateway
from shop.orders.adapters.payments import PaymentsGateway
from shop.orders.application.recovery import Recovery
from shop.orders.application.services import Checkpoint, OrderService, utc_now
from shop.orders.contract import Orders
from shop.orders.contract_v2 import OrdersV2
from shop.orders.entrypoint import ANSWERS, OrdersEndpoint
from shop.orders.entrypoint_v2 import OrdersV2Endpoint

__all__ = ["SERVICE", "Settings", "create_app"]

#: The name orders' configuration files and variables go by.
SERVICE = "orders"
#: Where inventory and payments answer when nothing says otherwise (``accord up``'s ports).
DEFAULT_INVENTORY_URL = "http://127.0.0.1:8102"
DEFAULT_PAYMENTS_URL = "http://127.0.0.1:8103"

#: The identity service's token endpoint (client credentials), under its base URL.
TOKEN_PATH = "/v1/token"  # noqa: S105 - a path, not a secret
#: How fast one customer may place orders unless configured: 10 a second, 20 at once.
PLACE_ORDER_RATE = "10/1s:20"

#: The identity service, as its certificate names it: its key set verifies callers'
#: tokens, its token endpoint gives orders its own (over mutual TLS when on).
IDENTITY = "identity"


class Settings(DatabaseServiceSettings, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything orders is configured with: ``config/{base,<env>}/orders.toml``, then
    the variables each field names (``docs/configuration.md``); the runtime's own
    settings (load shedding, rate limits, faults, auth, TLS…) come from
    :class:`~accord.config.common.ServiceSettings`."""

    schema_version: ClassVar[str] = "1.1.0"

    inventory_url: Annotated[
        str,
        setting(
            "The inventory service", pinned=True, env="ACCORD_URL_INVENTORY", pattern="^https?://"
        ),
    ] = DEFAULT_INVENTORY_URL
    payments_url: Annotated[
        str,
        setting(
            "The payments service", pinned=True, env="ACCORD_URL_PAYMENTS", pattern="^https?://"
        ),
    ] = DEFAULT_PAYMENTS_URL
    clients: Annotated[
        ClientSettings, section("How orders calls inventory and payments: retries, breakers")
    ] = msgspec.field(default_factory=ClientSettings)
    currency: Annotated[
        str, setting("The currency of every price (ISO 4217)", pattern="^[A-Z]{3}$")
    ] = "EUR"
    rate_limits: Annotated[
        dict[str, RateText],
        setting("Per-caller rate of named operations: COUNT/PERIOD[:BURST]", reloadable=True),
    ] = msgspec.field(default_factory=lambda: {"place_order": PLACE_ORDER_RATE})

    flags: Annotated[
        FlagSettings | None,
        setting(
            "Where feature flags come from (unset: $ACCORD_FLAGS_*, docs/flags.md)", pinned=True
        ),
    ] = None


def create_app(
    settings: Settings | None = None,
    *,
    telemetry: Telemetry | None = None,
    inventory_transport: httpx.AsyncBaseTransport | None = None,
    payments_transport: httpx.AsyncBaseTransport | None = None,
    verifier: TokenVerifier | None = None,
    credentials: Credentials | None = None,
    flags: Flags | None = None,
    checkpoint: Checkpoint | None = None,
    keyed: bool = True,
    idempotency_lease: float | None = None,
) -> App:
    """Migrate the database and assemble orders: ``/v1/...`` and ``/v2/...``.

    The transports replace the network to inventory and payments (tests pass
    ``httpx.ASGITransport(app)`` to run those services in-process). Unless
    ``settings.auth`` is off, callers need the tokens the operations' scopes say
    (``verifier`` replaces the identity service's keys), each customer may place
    orders at the configured rate (:data:`PLACE_ORDER_RATE` by default), and orders
    calls inventory and payments with a token of its own, of
    :data:`~shop.orders.adapters.credentials.SCOPES` only (``credentials`` replaces the
    identity service's client credentials). ``flags`` replaces the flags
    ``settings.flags`` describe (``shop.orders.flags``: a paused shop, a stricter card
    check); unset, they come from ``$ACCORD_FLAGS_*`` when the settings were loaded, and
    take their defaults when the settings were given.

    For test builds only: ``checkpoint`` is called at each step of a placement
    (:data:`~shop.orders.application.services.CHECKPOINTS`, and ``before_claim`` and
    ``answered`` around the idempotency layer); ``keyed=False`` places orders without
    their ``Idempotency-Key`` (the protection against a re-run placing a second
    order, switched off); ``idempotency_lease`` shortens the keys' leases (seconds).
    """
    given = settings is not None
    kit = ServiceKit.open(
        Settings,
        SERVICE,
        settings,
        contract=OrdersV2,
        migrations=sql.MIGRATIONS,
        telemetry=telemetry,
    )
    settings, telemetry = kit.settings, kit.telemetry
    identity_transport = kit.transport_to(IDENTITY)
    token_url = settings.auth.identity_url.rstrip("/") + TOKEN_PATH
    if credentials is None and settings.auth.enabled:
        if identity_transport is not None:  # its certificate is its credential (RFC 8705)
            credentials = ClientCredentials.over_mtls(
                token_url, SERVICE, scopes=SCOPES, transport=identity_transport
            )
        else:
            # its own key is its credential (RFC 7523 private_key_jwt): no shared secret
            key_file = ClientKeys.under(Path(settings.home)).key_path(SERVICE)
            credentials = ClientCredentials.with_private_key(
                token_url, SERVICE, key_file, scopes=SCOPES
            )
    # Each call's token is bound to the certificate its own connection presents.
    bound = credentials if isinstance(credentials, ClientCredentials) else None
    inventory_transport = inventory_transport or kit.transport_to("inventory", credentials=bound)
    payments_transport = payments_transport or kit.transport_to("payments", credentials=bound)
    bearer = BearerAuth(credentials) if credentials is not None else None
    auth = kit.authentication(OrdersV2.name, verifier=verifier, keys_from=IDENTITY)
    inventory = InventoryGateway.connect(
        settings.inventory_url, transport=inventory_transport, telemetry=telemetry, auth=bearer
    )
    payments = PaymentsGateway.connect(
        settings.payments_url, transport=payments_transport, telemetry=telemetry, auth=bearer
    )

    def tune_clients(current: Settings) -> None:
        figures = {"retry": current.clients.retry(), "breaker": current.clients.breaker()}
        inventory.reconfigure(**figures)
        payments.reconfigure(**figures)

    tune_clients(settings)
    kit.live.subscribe(tune_clients)
    lease = idempotency_lease or 2.0 * Orders.place_order.timeout
    engine = kit.engine
    service = OrderService(
        sql.unit_of_work(engine),
        inventory,
        payments,
        currency=settings.currency,
        drive_lease=lease,
        checkpoint=checkpoint,
    )
    # The rate limit sits inside the idempotency layer (the kit's standard place): a retry
    # answered from the key's stored response, or refused as still in flight, spends none
    # of the customer's rate.
    layers = kit.layers(
        auth,
        lease=idempotency_lease,
        before_claim=[CheckpointLayer(checkpoint, "before_claim", before=True)]
        if checkpoint
        else [],
        after_claim=[CheckpointLayer(checkpoint, "answered", before=False)] if checkpoint else [],
    )
    flag_settings = settings.flags or (FlagSettings() if given else FlagSettings.from_env())
    flags = flags or Flags.open(
        flag_settings, service=OrdersV2.name, version=OrdersV2.version, telemetry=telemetry
    )
    recovery = Recovery(sql.unit_of_work(engine), inventory, payments, clock=utc_now, lease=lease)
    return kit.app(
        Orders,
        OrdersEndpoint(service, flags, keyed=keyed),
        auth=auth,
        layers=layers,
        on_startup=[recovery.start],
        on_shutdown=[recovery.stop, flags.aclose, inventory.aclose, payments.aclose],
        mount=[(OrdersV2, OrdersV2Endpoint(service, flags, keyed=keyed))],
        errors=ANSWERS,
    )
