"""What the other services hold for an order, in the orders domain's words."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FoundPayment", "FoundStock", "PaymentHold", "PricedLine", "StockHold"]


@dataclass(frozen=True, slots=True)
class PricedLine:
    """A SKU, a quantity and the unit price the stock holds it at (in cents)."""

    sku: str
    quantity: int
    unit_price_cents: int


@dataclass(frozen=True, slots=True)
class StockHold:
    """Stock reserved for an order, priced line by line."""

    reservation_id: str
    lines: tuple[PricedLine, ...]


@dataclass(frozen=True, slots=True)
class PaymentHold:
    """An amount authorized on the customer's card for an order."""

    authorization_id: str


@dataclass(frozen=True, slots=True)
class FoundStock:
    """The stock held for an order, found by order id, and where it is: ``held``,
    ``committed`` (sold) or ``released``."""

    hold: StockHold
    status: str


@dataclass(frozen=True, slots=True)
class FoundPayment:
    """The payment of an order, found by order id, and where it is: ``authorized``,
    ``captured`` or ``voided``."""

    hold: PaymentHold
    status: str
