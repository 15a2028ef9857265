"""The order aggregate.

An order is placed ``pending`` with the items the customer asked for, one line per SKU
(a SKU asked for twice is a :class:`RepeatedSku`). Stock held for it
prices its lines; a payment held for it is recorded; then it is ``confirmed``. Any
failure on the way makes it ``rejected``, with the reason. Both ends are final.

A rejected order may still *owe a compensation*: a hold another service may keep for it
(the answer to a hold was lost, or letting it go failed). ``compensation_due`` says so
until a recovery has let every hold go.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime

from shop.orders.domain.exceptions import InvalidOrder, InvalidTransition, RepeatedSku
from shop.orders.domain.holds import PaymentHold, StockHold

__all__ = ["Order", "OrderLine", "OrderStatus", "RequestedItem"]

_CURRENCY = re.compile(r"[A-Z]{3}")


class OrderStatus(enum.Enum):
    """Where an order is in its life."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class RequestedItem:
    """What the customer asked for: a SKU and a positive quantity."""

    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One line of an order; ``unit_price_cents`` is None until stock is held for it."""

    sku: str
    quantity: int
    unit_price_cents: int | None = None

    @property
    def subtotal_cents(self) -> int:
        """Quantity times unit price (0 while unpriced)."""
        return self.quantity * (self.unit_price_cents or 0)


@dataclass(slots=True)
class Order:
    """A customer's order. Build a new one with :meth:`place`.

    ``version`` counts the changes persisted so far; repositories use it to detect a
    concurrent change.
    """

    order_id: str
    customer_id: str
    lines: tuple[OrderLine, ...]
    currency: str
    created_at: datetime
    note: str | None = None
    status: OrderStatus = OrderStatus.PENDING
    reservation_id: str | None = None
    authorization_id: str | None = None
    rejection: str | None = None
    compensation_due: bool = False
    version: int = field(default=0)

    @classmethod
    def place(
        cls,
        *,
        order_id: str,
        customer_id: str,
        items: tuple[RequestedItem, ...] | list[RequestedItem],
        currency: str,
        created_at: datetime,
        note: str | None = None,
    ) -> Order:
        """A new pending order; :class:`InvalidOrder` when it could not exist."""
        if not order_id or not customer_id:
            raise InvalidOrder("an order needs an id and a customer")
        if not items:
            raise InvalidOrder("an order needs at least one item", field="items")
        quantities: dict[str, int] = {}
        for i, item in enumerate(items):
            if not item.sku:
                raise InvalidOrder("SKU must not be empty", field=f"items[{i}].sku")
            if isinstance(item.quantity, bool) or not isinstance(item.quantity, int):
                raise InvalidOrder("quantity must be an integer", field=f"items[{i}].quantity")
            if item.quantity <= 0:
                raise InvalidOrder("quantity must be positive", field=f"items[{i}].quantity")
            # One line per SKU: the contract's limits hold per line, so a SKU asked for
            # twice is refused rather than merged past them.
            if item.sku in quantities:
                raise RepeatedSku(item.sku, field=f"items[{i}].sku")
            quantities[item.sku] = item.quantity
        if not _CURRENCY.fullmatch(currency):
            raise InvalidOrder(f"currency must be three capital letters, got {currency!r}")
        if created_at.tzinfo is None:
            raise InvalidOrder("created_at must be timezone-aware")
        return cls(
            order_id=order_id,
            customer_id=customer_id,
            lines=tuple(OrderLine(sku, quantity) for sku, quantity in quantities.items()),
            currency=currency,
            created_at=created_at,
            note=note,
        )

    def visible_to(self, customer_id: str | None) -> bool:
        """Whether this order may be shown to ``customer_id``: its own customer only.

        ``None`` stands for a reader that speaks for no customer (a service, or a shop
        run without authentication), which sees every order.
        """
        return customer_id is None or customer_id == self.customer_id

    @property
    def items(self) -> tuple[RequestedItem, ...]:
        """What the customer asked for."""
        return tuple(RequestedItem(line.sku, line.quantity) for line in self.lines)

    @property
    def priced(self) -> bool:
        """Whether every line has a unit price."""
        return all(line.unit_price_cents is not None for line in self.lines)

    @property
    def total_cents(self) -> int:
        """The sum of the lines' subtotals, exactly, in cents."""
        return sum(line.subtotal_cents for line in self.lines)

    def hold_stock(self, hold: StockHold) -> None:
        """Record the stock held for this order and take its unit prices.

        The hold must cover exactly the items asked for; anything else is an
        :class:`InvalidTransition` (the stock answered for another order).
        """
        self._require_pending("hold stock")
        if self.reservation_id is not None:
            raise InvalidTransition(f"order {self.order_id} already holds stock")
        held = {line.sku: line for line in hold.lines}
        if len(held) != len(hold.lines) or set(held) != {line.sku for line in self.lines}:
            raise InvalidTransition(f"the stock held does not match order {self.order_id}")
        priced = []
        for line in self.lines:
            match = held[line.sku]
            if match.quantity != line.quantity or match.unit_price_cents < 0:
                raise InvalidTransition(
                    f"the stock held for {line.sku} does not match order {self.order_id}"
                )
            priced.append(OrderLine(line.sku, line.quantity, match.unit_price_cents))
        self.lines = tuple(priced)
        self.reservation_id = hold.reservation_id

    def hold_payment(self, hold: PaymentHold) -> None:
        """Record the payment authorized for this order."""
        self._require_pending("hold payment")
        if self.reservation_id is None:
            raise InvalidTransition(f"order {self.order_id} must hold stock before payment")
        self.authorization_id = hold.authorization_id

    def confirm(self) -> None:
        """Stock committed and payment captured: the order is confirmed."""
        self._require_pending("confirm")
        if self.reservation_id is None:
            raise InvalidTransition(f"order {self.order_id} holds no stock")
        if self.authorization_id is None and self.total_cents > 0:
            raise InvalidTransition(f"order {self.order_id} holds no payment")
        self.status = OrderStatus.CONFIRMED

    def reject(self, reason: str) -> None:
        """The order could not be placed; ``reason`` says why."""
        self._require_pending("reject")
        self.status = OrderStatus.REJECTED
        self.rejection = reason

    def owe_compensation(self) -> None:
        """A hold may still exist for this order: it must be let go before it is settled."""
        if self.status is OrderStatus.CONFIRMED:
            raise InvalidTransition(f"order {self.order_id} is confirmed: it keeps its holds")
        self.compensation_due = True

    def compensated(self) -> None:
        """Every hold that could exist for this order was let go."""
        self.compensation_due = False

    def _require_pending(self, step: str) -> None:
        if self.status is not OrderStatus.PENDING:
            raise InvalidTransition(
                f"cannot {step} order {self.order_id}: it is {self.status.value}"
            )
