"""The providers replay their consumers' committed pacts: inventory and payments orders',
identity every service's (orders, inventory, payments).

The real app runs on a fresh SQLite file, its lifespan and all; every interaction's
provider states are set through the provider's own application service first.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from accord.security.clientkeys import ClientKey, thumbprint_kid
from tests.contract.consumer.identity_needs import CLIENT_KEY, CONSUMERS
from tests.contract.provider.providers import IdentityProvider, InventoryProvider, PaymentsProvider
from tests.contract.provider.serving import served
from tests.contract.provider.tampering import WithoutField
from tests.contract.provider.verification import Verification, verify
from tests.contract.support import pact_path, read_pact

Provider = IdentityProvider | InventoryProvider | PaymentsProvider
PROVIDERS: dict[str, Callable[[Path], Provider]] = {
    "inventory": InventoryProvider,
    "payments": PaymentsProvider,
}


def run(provider: Provider, app: object | None = None, consumer: str = "orders") -> Verification:
    """Serve the provider's app (or ``app`` around it) and replay ``consumer``'s pact."""
    pact_file = pact_path(provider.name, consumer=consumer)
    with served(app if app is not None else provider.app) as running:
        try:
            return verify(provider.name, pact_file, running, provider.states())
        finally:
            running.portal.call(provider.aclose)


@pytest.mark.parametrize("name", list(PROVIDERS))
def test_provider_honours_what_orders_needs(name: str, tmp_path: Path) -> None:
    result = run(PROVIDERS[name](tmp_path))
    assert result.passed, result.report()
    descriptions = [i["description"] for i in read_pact(pact_path(name))["interactions"]]
    assert len(descriptions) == 4
    for description in descriptions:
        assert description in result.output


@pytest.mark.parametrize("consumer", CONSUMERS)
def test_identity_honours_what_every_service_needs(consumer: str, tmp_path: Path) -> None:
    result = run(IdentityProvider(tmp_path, {"orders": CLIENT_KEY}), consumer=consumer)
    assert result.passed, result.report()
    document = read_pact(pact_path("identity", consumer=consumer))
    for interaction in document["interactions"]:
        assert interaction["description"] in result.output
    assert len(document["interactions"]) == (2 if consumer == "orders" else 1)


def test_identity_with_another_key_fails_the_token_interaction(tmp_path: Path) -> None:
    other = ed25519.Ed25519PrivateKey.generate()
    registered = ClientKey(kid=thumbprint_kid(other.public_key()), private_key=other)
    provider = IdentityProvider(tmp_path, {"orders": registered}, signers={"orders": CLIENT_KEY})
    result = run(provider, consumer="orders")
    assert not result.passed
    assert any("provider state 'a client is registered'" in f for f in result.failures), (
        result.report()
    )


@pytest.mark.parametrize(
    ("name", "path", "description", "field"),
    [
        pytest.param(
            "inventory",
            ("lines", "*", "unit_price_cents"),
            "a request to reserve 2 SKU-APPLE for an order",
            "$.lines[0].unit_price_cents",
            id="inventory drops the line price",
        ),
        pytest.param(
            "payments",
            ("reason",),
            "a request to authorize a payment with a card that has no funds",
            "$.reason",
            id="payments drops the decline reason",
        ),
    ],
)
def test_dropping_a_field_orders_reads_fails_verification(
    name: str, path: tuple[str, ...], description: str, field: str, tmp_path: Path
) -> None:
    provider = PROVIDERS[name](tmp_path)
    result = run(provider, WithoutField(provider.app, path))
    assert not result.passed
    expected = f"pact orders -> {name}, interaction {description!r}: {field}: "
    assert any(line.startswith(expected) for line in result.failures), result.report()
