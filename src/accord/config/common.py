"""The settings every service served by the accord runtime has, to extend.

::

    class Settings(DatabaseServiceSettings, frozen=True, kw_only=True, forbid_unknown_fields=True):
        schema_version: ClassVar[str] = "1.0.0"
        currency: Annotated[str, setting("The currency of prices", pattern="^[A-Z]{3}$")] = "EUR"

A file then reads::

    max_in_flight = 256            # load shedding, applied live
    idempotency_retention = 3600.0 # seconds, applied live

    [rate_limits]                  # operation = COUNT/PERIOD[:BURST], applied live
    place_order = "10/1s:20"

    [faults.abort]                 # fault injection, applied live
    status = 503
    percent = 5

    [observability]
    log_level = "debug"

    [auth]
    enabled = true

    [admin]
    scope = "metadata:read"        # who may read GET /admin/config
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import msgspec

from accord.config.declare import section, setting
from accord.config.live import LiveSettings
from accord.config.sections import Observability, TLSSettings
from accord.config.service import ADMIN_PATH, ServiceConfig
from accord.observability.telemetry import Telemetry
from accord.runtime.app import App
from accord.runtime.auth import METADATA_SCOPE, Authentication, AuthSettings
from accord.runtime.deadlines import Deadlines
from accord.runtime.faults import FaultConfig, FaultInjection
from accord.runtime.idempotency import DEFAULT_RETENTION
from accord.runtime.ratelimit import Rate, RateLimit, parse_rate
from accord.runtime.shedding import DEFAULT_MAX_IN_FLIGHT, LoadShedding

__all__ = [
    "RATE_PATTERN",
    "Admin",
    "DatabaseServiceSettings",
    "RateText",
    "ServiceSettings",
    "database_setting",
    "deadlines",
    "fault_injection",
    "follow_observability",
    "load_shedding",
    "rate_limit",
    "rates_of",
    "retention",
    "serve_admin",
]

#: ``COUNT/PERIOD[:BURST]``: ``10/1s``, ``5/1m:10``, ``100/h``.
RATE_PATTERN = r"^[1-9][0-9]*/([0-9]*\.?[0-9]*[1-9][0-9]*)?[smh]?(:[1-9][0-9]*)?$"

RateText = Annotated[str, msgspec.Meta(pattern=RATE_PATTERN)]
Seconds = Annotated[float, msgspec.Meta(gt=0.0, le=3600.0)]


class Admin(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Who may read the service's running configuration."""

    scope: Annotated[
        str,
        setting("The scope a token needs for GET /admin/config", min_length=1),
    ] = METADATA_SCOPE


class ServiceSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What the runtime of any service is configured with (see the module docstring)."""

    home: Annotated[
        str, setting("Folder of the service's state and telemetry", pinned=True, env="ACCORD_HOME")
    ] = ".accord"
    max_in_flight: Annotated[
        int,
        setting(
            "Operations served at once before load shedding answers 503",
            reloadable=True,
            env=("{SERVICE}_MAX_IN_FLIGHT", "ACCORD_MAX_IN_FLIGHT"),
            ge=1,
            le=1_000_000,
        ),
    ] = DEFAULT_MAX_IN_FLIGHT
    idempotency_retention: Annotated[
        float,
        setting(
            "Seconds a stored answer to an idempotency key is replayed",
            reloadable=True,
            env="ACCORD_IDEMPOTENCY_RETENTION",
            gt=0.0,
            le=30 * 24 * 3600.0,
        ),
    ] = DEFAULT_RETENTION
    rate_limits: Annotated[
        dict[str, RateText],
        setting("Per-caller rate of named operations: COUNT/PERIOD[:BURST]", reloadable=True),
    ] = {}
    timeouts: Annotated[
        dict[str, Seconds],
        setting("Seconds an operation may take, replacing its contract's", reloadable=True),
    ] = {}
    faults: Annotated[
        FaultConfig | None,
        setting(
            "Delays and aborts injected on purpose (docs/resilience.md)",
            reloadable=True,
            env=("{SERVICE}_FAULTS", "ACCORD_FAULTS"),
        ),
    ] = None
    observability: Annotated[Observability, section("Logs and traces")] = msgspec.field(
        default_factory=Observability
    )
    auth: Annotated[AuthSettings, section("How callers' tokens are checked")] = msgspec.field(
        default_factory=AuthSettings
    )
    tls: Annotated[TLSSettings, section("Mutual TLS between services")] = msgspec.field(
        default_factory=TLSSettings
    )
    admin: Annotated[Admin, section("The running configuration's endpoint")] = msgspec.field(
        default_factory=Admin
    )


def database_setting(description: str) -> msgspec.Meta:
    """The annotation of a service's own database URL: pinned to its environment and
    overridden by ``$<SERVICE>_DATABASE_URL`` (:class:`DatabaseServiceSettings` declares
    the field with it)::

        database_url: Annotated[str, database_setting("Orders' database")] = ""
    """
    return setting(description, pinned=True, env="{SERVICE}_DATABASE_URL")


class DatabaseServiceSettings(
    ServiceSettings, frozen=True, kw_only=True, forbid_unknown_fields=True
):
    """:class:`ServiceSettings` of a service with a database of its own: ``database_url``,
    pinned and overridden by ``$<SERVICE>_DATABASE_URL``, empty for SQLite under ``home``
    (what :func:`accord.kit.own_database` reads)."""

    database_url: Annotated[
        str, database_setting("The service's own database (empty: SQLite under home)")
    ] = ""


def rates_of(settings: ServiceSettings) -> dict[str, Rate]:
    """The :class:`~accord.runtime.ratelimit.Rate` of each operation ``rate_limits`` names."""
    return {name: parse_rate(text) for name, text in settings.rate_limits.items()}


# -- the runtime's layers, following live settings -----------------------------------


def load_shedding(live: LiveSettings[Any], telemetry: Telemetry | None = None) -> LoadShedding:
    """Load shedding at ``max_in_flight``, as the request's snapshot says."""
    return LoadShedding(live.value(lambda s: s.max_in_flight), telemetry=telemetry)


def fault_injection(live: LiveSettings[Any], telemetry: Telemetry | None = None) -> FaultInjection:
    """The ``faults`` of the request's snapshot."""
    return FaultInjection(live.value(lambda s: s.faults), telemetry=telemetry)


def deadlines(live: LiveSettings[Any]) -> Deadlines:
    """Deadlines from the contract, or from ``timeouts`` where it names the operation."""
    return Deadlines(timeouts=live.value(lambda s: s.timeouts))


def rate_limit(live: LiveSettings[Any]) -> RateLimit:
    """Per-caller limits on the operations ``rate_limits`` names."""
    return RateLimit(live.derived(rates_of))


def retention(live: LiveSettings[Any]) -> Callable[[], float]:
    """``idempotency_retention`` of the request's snapshot (for ``Idempotency``)."""
    return live.value(lambda s: s.idempotency_retention)


def follow_observability(config: ServiceConfig[Any], telemetry: Telemetry) -> None:
    """Report through ``telemetry``; its log level and sampling ratio follow ``observability``."""
    config.attach(
        telemetry,
        log_level=lambda s: s.observability.log_level,
        sampling_ratio=lambda s: s.observability.trace_sampling_ratio,
    )


def serve_admin(app: App, config: ServiceConfig[Any], auth: Authentication | None) -> None:
    """``GET /admin/config`` on ``app``, for tokens with ``admin.scope`` (open when
    authentication is off, like every other route then)."""
    handler = config.admin_handler()
    if auth is not None:
        handler = auth.guarding(config.settings.admin.scope)(handler)
    app.add_route("GET", ADMIN_PATH, handler)
