"""The composition root of payments: settings in, a served application out.

Read top to bottom: settings → schema → engine → storage and processor → use cases →
the contract's implementation → the app. Nothing happens at import time;
``accord serve shop.payments.bootstrap:create_app`` calls :func:`create_app`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, ClassVar

from accord.config import setting
from accord.config.common import DatabaseServiceSettings
from accord.config.secrets import resolve
from accord.kit import ServiceKit
from accord.observability.telemetry import Telemetry
from accord.runtime import App
from accord.runtime.auth import TokenVerifier
from shop.payments.adapters import sql
from shop.payments.adapters.processor import ProcessorGateway, SimulatedProcessor
from shop.payments.application.services import PaymentService
from shop.payments.contract import Payments
from shop.payments.entrypoint import ERRORS, PaymentsEndpoint

__all__ = ["SERVICE", "Settings", "create_app"]

#: The name payments' configuration files and variables go by.
SERVICE = "payments"


class Settings(DatabaseServiceSettings, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything payments is configured with: ``config/{base,<env>}/payments.toml``,
    then the variables each field names (``docs/configuration.md``)."""

    schema_version: ClassVar[str] = "1.0.0"

    processor_key: Annotated[
        str,
        setting(
            "The card processor's API key: env:NAME or file:PATH (unused by the simulator)",
            secret=True,
            pinned=True,
        ),
    ] = ""


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
    kit = ServiceKit.open(
        Settings,
        SERVICE,
        settings,
        contract=Payments,
        migrations=sql.MIGRATIONS,
        telemetry=telemetry,
    )
    settings = kit.settings
    if settings.processor_key:
        resolve(settings.processor_key, key="processor_key")
    if processor is None:
        processor = SimulatedProcessor(journal=Path(settings.home) / "processor.jsonl")
    service = PaymentService(sql.unit_of_work(kit.engine), ProcessorGateway(processor))
    auth = kit.authentication(Payments.name, verifier=verifier, keys_from="identity")
    return kit.app(
        Payments,
        PaymentsEndpoint(service),
        auth=auth,
        errors=ERRORS,
    )
