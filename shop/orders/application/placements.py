"""A placement under an ``Idempotency-Key``: one order per key, whatever process dies.

The order is stored with the key it was placed under (and the request's fingerprint) in
the same transaction that creates it; the storage keeps one order per customer and key.
A re-run of the placement with that key therefore never mints a second order: it finds
the first one and

- answers it when it is confirmed;
- answers its rejection again when it is rejected (:func:`failure_error`, from the
  failure recorded with it), so a client retrying a 503 gets the same 503, not a
  second rejected order;
- resumes it when it is still pending (the attempt that placed it died), once it holds
  the order's *drive*: a lease on the order row, taken with a conditional update, so a
  retry and the recovery can never both move one order;
- refuses with :class:`KeyReused` when the request differs from the first one.

``docs/idempotency.md`` ("Keys the handler keeps") gives the reasoning, crash point by
crash point.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shop.orders.domain.exceptions import (
    DependencyFailed,
    DependencyUnavailable,
    OutOfStock,
    PaymentDeclined,
    PlacementFailed,
    UnknownSku,
)
from shop.orders.domain.model import Order

__all__ = [
    "INTERRUPTED",
    "KeyReused",
    "KeyedOrder",
    "PlacementInProgress",
    "PlacementKey",
    "failure_error",
    "failure_record",
]

#: The dependency named when a rejected order's own placement was cut short.
INTERRUPTED = "orders"


@dataclass(frozen=True, slots=True)
class PlacementKey:
    """The key a placement runs under: the client's ``Idempotency-Key``, the request's
    fingerprint, and until when the placement may drive its order undisturbed (the end
    of the key's lease)."""

    key: str
    fingerprint: str
    lease_until: datetime


@dataclass(frozen=True, slots=True)
class KeyedOrder:
    """The order a key placed, the fingerprint of the request that placed it, and the
    failure recorded when it was rejected (``None``: none recorded)."""

    order: Order
    fingerprint: str
    failure: Mapping[str, Any] | None


class KeyReused(Exception):
    """The key already placed an order for a different request."""


class PlacementInProgress(Exception):
    """Another placement (a retry, or the recovery) is driving the key's order now."""

    def __init__(self, order_id: str) -> None:
        super().__init__(f"order {order_id} is being placed by another request")
        self.order_id = order_id


def failure_record(exc: BaseException) -> dict[str, Any]:
    """What is kept of the failure that rejected an order, to answer a retry the same."""
    if not isinstance(exc, PlacementFailed):
        return {"rejection": "internal"}
    record: dict[str, Any] = {"rejection": exc.rejection}
    for name in ("sku", "requested", "available", "reason", "dependency", "detail"):
        if hasattr(exc, name):
            record[name] = getattr(exc, name)
    return record


def failure_error(order: Order, record: Mapping[str, Any] | None) -> PlacementFailed:
    """The failure to answer a retry of the rejected ``order`` with (from its record).

    A rejection with no record (``interrupted`` by the recovery, ``cancelled``) is
    answered as orders having been unavailable: nothing is held, the order is final, and
    a new order needs a new key.
    """
    r = dict(record or {})
    kind = r.get("rejection", order.rejection)
    try:
        if kind == UnknownSku.rejection:
            return UnknownSku(str(r["sku"]))
        if kind == OutOfStock.rejection:
            return OutOfStock(str(r["sku"]), int(r["requested"]), int(r["available"]))
        if kind == PaymentDeclined.rejection:
            return PaymentDeclined(str(r["reason"]))
        if kind == DependencyUnavailable.rejection:
            return DependencyUnavailable(str(r["dependency"]), str(r["detail"]))
        if kind == DependencyFailed.rejection or kind == "internal":
            return DependencyFailed(
                str(r.get("dependency", INTERRUPTED)), str(r.get("detail", kind))
            )
    except (KeyError, TypeError, ValueError):
        pass
    return DependencyUnavailable(
        INTERRUPTED, f"order {order.order_id} was rejected ({order.rejection}) before answering"
    )
