"""Recovery: let go of the holds rejected or interrupted orders may have left behind.

A placement that fails lets go of its holds at once, best effort. What that cannot
settle is left to this loop, started with orders and run every ``interval`` seconds:

- a rejected order that *owes a compensation* (a compensation call failed, or the
  answer to a reservation or authorization was lost, so a hold may exist that orders
  never heard of): stock still held for it is released and an amount still authorized
  for it is voided, both found by order id. Both calls are idempotent, so running
  them again is safe. The order stays owing until it is older than ``grace`` seconds,
  so that a hold still in flight when the placement gave up is caught too.
- an order still ``pending`` although it was created before this process started (the
  process placing it died): it is compensated the same way and rejected as
  ``interrupted``.

While a dependency stays down the order simply waits for the next round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from shop.orders.application.ports import (
    Clock,
    ConcurrencyConflict,
    PaymentGateway,
    StockGateway,
    UnitOfWorkFactory,
)
from shop.orders.domain.exceptions import PlacementFailed
from shop.orders.domain.model import Order, OrderStatus

__all__ = ["DEFAULT_GRACE", "DEFAULT_INTERVAL", "Recovery"]

log = logging.getLogger(__name__)

#: Seconds between two rounds of the recovery loop.
DEFAULT_INTERVAL = 1.0
#: Seconds after its creation during which an order owing a compensation is checked again.
DEFAULT_GRACE = 15.0
_BATCH = 100


class Recovery:
    """Finds orders that may have left holds behind and lets those holds go."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        stock: StockGateway,
        payments: PaymentGateway,
        *,
        clock: Clock,
        interval: float = DEFAULT_INTERVAL,
        grace: float = DEFAULT_GRACE,
    ) -> None:
        self._uow = uow
        self._stock = stock
        self._payments = payments
        self._clock = clock
        self._interval = interval
        self._grace = timedelta(seconds=grace)
        self._started_at = clock()
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        """One round; returns how many orders are still owing a compensation after it."""
        async with self._uow() as uow:
            due = await uow.orders.needing_recovery(self._started_at, _BATCH)
        owing = 0
        for order in due:
            if not await self._recover(order):
                owing += 1
        return owing

    async def start(self) -> None:
        """Start the loop in the background (its first round runs at once)."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="orders-recovery")

    async def stop(self) -> None:
        """Stop the loop."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("orders recovery round failed")
            await asyncio.sleep(self._interval)

    async def _recover(self, order: Order) -> bool:
        """Compensate one order; True when it owes nothing any more."""
        try:
            released = await self._stock.release_for_order(order.order_id)
            voided = await self._payments.void_for_order(order.order_id)
        except PlacementFailed as exc:
            log.info("order %s still owes a compensation: %s", order.order_id, exc)
            return False
        if released or voided:
            log.warning(
                "order %s: released %d reservation(s), voided %d authorization(s)",
                order.order_id,
                released,
                voided,
            )
        young = self._clock() - order.created_at < self._grace
        if order.status is OrderStatus.PENDING:
            order.reject("interrupted")
            order.owe_compensation()
        elif young:
            return False  # a hold still in flight may land: look again next round
        if not young:
            order.compensated()
        try:
            async with self._uow() as uow:
                await uow.orders.save(order)
                await uow.commit()
        except ConcurrencyConflict:
            return False
        return not order.compensation_due
