"""What customers may expect of orders: its service-level objectives (``docs/slo.md``)."""

from __future__ import annotations

from accord.slo import availability, latency
from shop.orders.contract import Orders
from shop.orders.contract_v2 import OrdersV2

__all__ = ["SLOS"]

SLOS = (
    availability(0.999),
    latency(0.5, 0.99, operation=OrdersV2.place_order),
    # Version 1 is deprecated but still served until its sunset: the same promise.
    latency(0.5, 0.99, operation=Orders.place_order, name="place-order-v1-latency"),
    latency(0.1, 0.99, operation=OrdersV2.get_order),
)
