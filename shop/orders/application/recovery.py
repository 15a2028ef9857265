"""Recovery: let go of the holds rejected or interrupted orders may have left behind.

A placement that fails lets go of its holds at once, best effort. What that cannot
settle is left to this loop, started with orders and run every ``interval`` seconds:

- a rejected order that *owes a compensation* (a compensation call failed, or the
  answer to a reservation or authorization was lost, so a hold may exist that orders
  never heard of), once it is ``grace`` seconds old — by then a call still in flight
  when the placement gave up has landed or expired (a server drops work past its
  deadline): stock still held for it is released and an amount still authorized for it
  is voided, both found by order id. Both calls are idempotent, so running them again
  is safe.
- an order still ``pending`` whose drive (the lease of the placement running it) ended
  ``grace`` seconds ago (the process placing it died, and no retry of its key has
  resumed it meanwhile): the recovery takes the drive itself, with the same
  conditional update a retry uses, so the two never move one order at once; then it
  finishes the order the way the saga would have, from where it stopped. Its
  reservation and authorization are read by order id. Once the stock is committed
  (sold) the order goes forward: its authorization is captured (again: it is
  idempotent) and the order confirmed, priced from the reservation. Before that it
  goes back: stock still held is released, an amount still authorized is voided, and
  the order is rejected as ``interrupted``.

Oldest orders first, ``batch`` orders a round. A compensated order gets a *second
look* once it is ``second_look`` seconds old (its holds are looked up and let go once
more): a call that reached a frozen or overloaded service can land long after its
caller gave up, since a timeout travels as a remaining duration, not a moment. When
it is due is stored with the order, so a restart of orders does not forget it.

While a dependency stays down the order simply waits for the next round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import KW_ONLY, dataclass, field
from datetime import timedelta

from shop.orders.application.ports import (
    Clock,
    ConcurrencyConflict,
    PaymentGateway,
    StockGateway,
    UnitOfWorkFactory,
)
from shop.orders.domain.exceptions import InvalidTransition, PlacementFailed
from shop.orders.domain.model import Order, OrderStatus

__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_GRACE",
    "DEFAULT_INTERVAL",
    "DEFAULT_LEASE",
    "DEFAULT_SECOND_LOOK",
    "Recovery",
]

log = logging.getLogger(__name__)

#: Seconds between two rounds of the recovery loop.
DEFAULT_INTERVAL = 1.0
#: Seconds after its creation before an order owing a compensation is compensated.
DEFAULT_GRACE = 5.0
#: Orders looked at in one round.
DEFAULT_BATCH = 200
#: Seconds after its creation when a compensated order's holds are looked up once more.
DEFAULT_SECOND_LOOK = 60.0
#: Seconds the recovery drives an interrupted order before another may take it.
DEFAULT_LEASE = 16.0


@dataclass(eq=False)
class Recovery:
    """Finds orders that may have left holds behind and lets those holds go.

    A round every ``interval`` seconds, ``batch`` orders a round; ``grace``,
    ``second_look`` and ``lease`` are seconds (the module docstring says what of).
    """

    uow: UnitOfWorkFactory
    stock: StockGateway
    payments: PaymentGateway
    _: KW_ONLY
    clock: Clock
    interval: float = DEFAULT_INTERVAL
    grace: float = DEFAULT_GRACE
    batch: int = DEFAULT_BATCH
    second_look: float = DEFAULT_SECOND_LOOK
    lease: float = DEFAULT_LEASE
    _task: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    async def run_once(self) -> int:
        """One round; returns how many of the orders it looked at still owe."""
        settled_before = self.clock() - timedelta(seconds=self.grace)
        async with self.uow(read_only=True) as uow:
            due = await uow.orders.needing_recovery(
                owing_before=settled_before,
                # The dead placement's calls may still be landing: wait out the grace too
                # (and a retry of its key may resume it meanwhile).
                abandoned_before=settled_before,
                limit=self.batch,
            )
        owing = 0
        for order in due:
            if not await self._recover(order):
                owing += 1
        await self._look_again()
        return owing

    async def _look_again(self) -> None:
        """Let go once more of the holds of compensated orders whose second look is due."""
        async with self.uow(read_only=True) as uow:
            due = await uow.orders.looks_due(self.clock(), self.batch)
        for order_id in due:
            try:
                released = await self.stock.release_for_order(order_id)
                voided = await self.payments.void_for_order(order_id)
            except PlacementFailed:
                continue  # next round
            async with self.uow() as uow:
                await uow.orders.looked(order_id)
                await uow.commit()
            if released or voided:
                log.warning(
                    "order %s: a late hold let go on a second look (%d reservation(s), "
                    "%d authorization(s))",
                    order_id,
                    released,
                    voided,
                )

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
            await asyncio.sleep(self.interval)

    async def _recover(self, order: Order) -> bool:
        """Compensate one order; True when it owes nothing any more."""
        if order.status is OrderStatus.PENDING:
            return await self._resume(order)
        try:
            released = await self.stock.release_for_order(order.order_id)
            voided = await self.payments.void_for_order(order.order_id)
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
        order.compensated()
        return await self._save(order, look=True)

    async def _resume(self, order: Order) -> bool:
        """Finish an interrupted placement: forward past the stock commit, back before."""
        oid = order.order_id
        now = self.clock()
        async with self.uow() as uow:
            taken = await uow.orders.drive(
                order, until=now + timedelta(seconds=self.lease), now=now
            )
            await uow.commit()
        if not taken:  # a retry of its key drives it, or it moved on
            return False
        try:
            stock = await self.stock.find_for_order(oid)
            payment = await self.payments.find_for_order(oid)
            if stock is not None and stock.status == "committed":
                order.hold_stock(stock.hold)
                if order.total_cents > 0:
                    if payment is None or payment.status == "voided":
                        log.error("order %s: stock sold, no payment to take", oid)
                        order.reject("interrupted")
                        return await self._save(order)
                    order.hold_payment(payment.hold)
                    if payment.status == "authorized":
                        await self.payments.capture(payment.hold.authorization_id)
                order.confirm()
                log.warning("order %s: interrupted after its stock was sold; confirmed", oid)
                return await self._save(order)
            if stock is not None and stock.status == "held":
                await self.stock.release(stock.hold.reservation_id)
            if payment is not None and payment.status == "authorized":
                await self.payments.void(payment.hold.authorization_id)
        except PlacementFailed as exc:
            log.info("interrupted order %s waits: %s", oid, exc)
            async with self.uow() as uow:
                await uow.orders.let_go(order)
                await uow.commit()
            return False
        except InvalidTransition as exc:  # the holds found do not fit the order
            log.error("interrupted order %s cannot go forward: %s", oid, exc)
            order = await self._reload(order)
        order.reject("interrupted")
        order.compensated()
        return await self._save(order, look=True)

    async def _reload(self, order: Order) -> Order:
        async with self.uow(read_only=True) as uow:
            return await uow.orders.get(order.order_id) or order

    async def _save(self, order: Order, *, look: bool = False) -> bool:
        when = order.created_at + timedelta(seconds=self.second_look) if look else None
        try:
            async with self.uow() as uow:
                await uow.orders.save(order, look_again_at=when)
                await uow.commit()
        except ConcurrencyConflict:
            return False
        return True
