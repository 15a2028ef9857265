"""The real provider apps, and their provider states set through their own ports.

Each app comes from its service's composition root (``create_app``) on a fresh SQLite
file; its states are set up by the service's own application service, built from the
same pieces the bootstrap uses (the SQL unit of work on the same database, and for
payments the same card processor the app talks to).

Authentication is off here, on purpose: a pact verifies the messages orders and its
providers exchange, and orders' pacts record no token. Who may call what is the
attacker's suite's concern (``tests/security``), against the running shop.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from accord.observability.telemetry import Telemetry
from accord.runtime import App
from accord.runtime.auth import AuthSettings
from accord.security.clientkeys import ClientKey, ClientKeys
from accord.security.jwks import public_jwk
from accord.security.keys import KeyStore
from accord.sql import create_engine
from shop.identity import bootstrap as identity_bootstrap
from shop.inventory import bootstrap as inventory_bootstrap
from shop.inventory.adapters import sql as inventory_sql
from shop.inventory.application.services import InventoryService
from shop.payments import bootstrap as payments_bootstrap
from shop.payments.adapters import sql as payments_sql
from shop.payments.adapters.processor import ProcessorGateway, SimulatedProcessor
from shop.payments.application.services import PaymentService
from shop.payments.domain.model import Declined, Money
from tests.contract.provider.assertions import FreshAssertions
from tests.contract.provider.verification import StateSetup

__all__ = ["IdentityProvider", "InventoryProvider", "PaymentsProvider"]

_PRICE_CENTS = 120


class InventoryProvider:
    """Inventory as orders meets it, with the states orders' pact names."""

    name = "inventory"

    def __init__(self, folder: Path) -> None:
        url = f"sqlite:///{folder / 'inventory.db'}"
        settings = inventory_bootstrap.Settings(
            home=str(folder), database_url=url, seed="none", auth=AuthSettings(enabled=False)
        )
        self.app: App = inventory_bootstrap.create_app(
            settings, telemetry=Telemetry.noop("inventory")
        )
        self._engine = create_engine(url)

    def states(self) -> Mapping[str, StateSetup]:
        """State name → set-up, for every state orders' pact names."""
        return {
            "a SKU has stock": self._sku_has_stock,
            "a reservation is held": self._reservation_is_held,
        }

    async def aclose(self) -> None:
        """Close the set-ups' own connections."""
        await self._engine.dispose()

    def _service(self, reservation_id: str | None = None) -> InventoryService:
        uow = inventory_sql.unit_of_work(self._engine)
        if reservation_id is None:
            return InventoryService(uow)
        return InventoryService(uow, new_id=lambda: reservation_id)

    async def _restock(self, sku: str, quantity: int) -> None:
        await self._service().restock(
            sku, quantity, name=sku.title(), unit_price_cents=_PRICE_CENTS
        )

    async def _sku_has_stock(self, params: Mapping[str, Any]) -> None:
        await self._restock(params["sku"], params["available"])

    async def _reservation_is_held(self, params: Mapping[str, Any]) -> None:
        await self._restock(params["sku"], params["quantity"])
        await self._service(params["reservation_id"]).reserve(
            params["order_id"], [(params["sku"], params["quantity"])]
        )


class PaymentsProvider:
    """Payments as orders meets it, with the states orders' pact names."""

    name = "payments"

    def __init__(self, folder: Path) -> None:
        url = f"sqlite:///{folder / 'payments.db'}"
        settings = payments_bootstrap.Settings(
            home=str(folder), database_url=url, auth=AuthSettings(enabled=False)
        )
        self._processor = SimulatedProcessor()
        self.app: App = payments_bootstrap.create_app(
            settings, telemetry=Telemetry.noop("payments"), processor=self._processor
        )
        self._engine = create_engine(url)

    def states(self) -> Mapping[str, StateSetup]:
        """State name → set-up, for every state orders' pact names."""
        return {
            "a card is approved": self._card_is_approved,
            "a card is declined": self._card_is_declined,
            "an authorization is held": self._authorization_is_held,
        }

    async def aclose(self) -> None:
        """Close the set-ups' own connections."""
        await self._engine.dispose()

    async def _decide(self, card_token: str) -> object:
        # Asks the app's own processor; a declined card leaves no hold behind.
        return await ProcessorGateway(self._processor).authorize(
            order_id="provider-state-probe", amount=Money(1, "EUR"), card_token=card_token
        )

    async def _card_is_approved(self, params: Mapping[str, Any]) -> None:
        decision = await self._decide(params["card_token"])
        if isinstance(decision, Declined):
            raise AssertionError(f"the processor declines {params['card_token']!r}")

    async def _card_is_declined(self, params: Mapping[str, Any]) -> None:
        decision = await self._decide(params["card_token"])
        if not isinstance(decision, Declined) or decision.reason.value != params["reason"]:
            raise AssertionError(
                f"the processor does not decline {params['card_token']!r} for {params['reason']}"
            )

    async def _authorization_is_held(self, params: Mapping[str, Any]) -> None:
        service = PaymentService(
            payments_sql.unit_of_work(self._engine),
            ProcessorGateway(self._processor),
            new_id=lambda: str(params["authorization_id"]),
        )
        await service.authorize(
            order_id=params["order_id"],
            amount=Money(params["amount_cents"], params["currency"]),
            card_token="tok_visa",
        )


class IdentityProvider:
    """Identity as every service meets it: its token endpoint and its key set.

    A client's public key is configuration identity is given, not state it keeps: it is
    written into identity's key registry (``<home>/client-keys``), as the project would,
    before the app starts, and the state set-up checks that the key the pact names is the
    one registered. ``signers`` are the consumers' own private keys: the verification
    signs a fresh client assertion with them before each token request is replayed
    (:class:`~tests.contract.provider.assertions.FreshAssertions`).
    """

    name = "identity"

    def __init__(
        self,
        folder: Path,
        clients: Mapping[str, ClientKey] | None = None,
        signers: Mapping[str, ClientKey] | None = None,
    ) -> None:
        self._keys = ClientKeys.under(folder)
        for client_id, key in (clients or {}).items():
            path = self._keys.jwks_path(client_id)
            path.parent.mkdir(parents=True, exist_ok=True)
            jwk = public_jwk(key.kid, key.private_key.public_key())
            path.write_text(json.dumps({"keys": [jwk]}))
        settings = identity_bootstrap.Settings(
            home=str(folder),
            database_url=f"sqlite:///{folder / 'identity.db'}",
            scrypt_log_n=10,
            auth=AuthSettings(enabled=False),
        )
        served = identity_bootstrap.create_app(settings, telemetry=Telemetry.noop("identity"))
        audience = settings.auth.identity_url + "/v1/token"
        self.app: Any = FreshAssertions(served, signers or clients or {}, audience=audience)
        self._signing = KeyStore.under(folder, "identity")

    def states(self) -> Mapping[str, StateSetup]:
        """State name → set-up, for every state the services' pacts name."""
        return {
            "a client is registered": self._client_is_registered,
            "identity signs with an Ed25519 key": self._signs_with_ed25519,
        }

    async def aclose(self) -> None:
        """Nothing of its own to close."""

    async def _client_is_registered(self, params: Mapping[str, Any]) -> None:
        registered = self._keys.public_jwks([params["client_id"]])["keys"]
        if params["key"] not in registered:
            raise AssertionError(
                f"identity does not know client {params['client_id']!r} by the pact's key"
            )

    async def _signs_with_ed25519(self, params: Mapping[str, Any]) -> None:
        published = self._signing.load().jwks(time.time())["keys"]
        if not any(k.get("crv") == "Ed25519" for k in published):
            raise AssertionError(f"identity publishes no Ed25519 key: {published}")
