"""Orders' use cases: place an order (a saga across stock and payments), read, list.

Placing an order is a saga with compensations::

    save pending ─► reserve stock ─► authorize total ─► commit stock ─► capture ─► confirmed
                         │                 │                 │              │
                         ▼                 ▼                 ▼              ▼
                      rejected     release stock     void payment,   left pending,
                                                     release stock   to go forward

Whatever fails before the stock is sold, the order ends ``rejected`` with a reason and
nothing stays held: every hold taken so far is let go, best effort (a compensation that
fails is logged, never raised over the original error). Once the stock is committed
(sold) the order only goes forward: when the capture fails, the authorization is read
back by order id, and a capture that went through after all confirms the order;
otherwise the order stays ``pending`` and its placement gives it up, so a retry of its
key or the recovery captures (again: it is idempotent) and confirms it. It is never
voided and rejected there: a capture whose answer was lost can land after the void that
would have let its money go was refused, which would leave a customer charged for a
rejected order.

When a compensation fails, or the failure leaves it unknown whether a hold was taken
(the answer to a reservation or an authorization was lost: a timeout, a dropped
connection, a 5xx), the rejected order is stored *owing a compensation*; the recovery
(:mod:`shop.orders.application.recovery`) finds the holds by order id and lets them go.

Placed under an ``Idempotency-Key`` (a :class:`PlacementKey`), the order is stored with
the key, and a re-run with the key finds that order instead of placing another
(:mod:`shop.orders.application.placements`). Every order is *driven* by one placement at
a time: a lease on its row, until the key's lease ends (or ``drive_lease`` seconds).

``checkpoint`` is called with the name of each step done (:data:`CHECKPOINTS`): a test
build of orders dies there to prove that a crash at any of them charges no one twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shop.common.fresh import new_id, utc_now
from shop.orders.application.placements import (
    INTERRUPTED,
    KeyedOrder,
    KeyReused,
    PlacementInProgress,
    PlacementKey,
    failure_error,
    failure_record,
)
from shop.orders.application.ports import (
    Clock,
    ConcurrencyConflict,
    IdFactory,
    PaymentGateway,
    StockGateway,
    UnitOfWorkFactory,
)
from shop.orders.domain.exceptions import (
    DependencyFailed,
    DependencyUnavailable,
    InvalidTransition,
    OrderNotFound,
    OutOfStock,
    PaymentDeclined,
    PlacementFailed,
    UnknownSku,
)
from shop.orders.domain.model import Order, OrderStatus, RequestedItem

__all__ = [
    "CHECKPOINTS",
    "DEFAULT_DRIVE_LEASE",
    "FINISH_ATTEMPTS",
    "Checkpoint",
    "OrderService",
    "new_order_id",
    "utc_now",
]

log = logging.getLogger(__name__)

#: How many times an idempotent last step (commit stock, capture payment) is tried.
FINISH_ATTEMPTS = 3
_FINISH_BACKOFF = 0.05
#: Seconds a placement without a key drives its order before the recovery may take it.
DEFAULT_DRIVE_LEASE = 16.0
#: The steps a placement reports to its checkpoint, in order.
CHECKPOINTS = ("order_stored", "reserved", "authorized", "committed", "captured", "confirmed")
#: Called with the name of each step of a placement once it is done.
Checkpoint = Callable[[str], None]


def _no_checkpoint(_step: str) -> None:
    return None


def new_order_id() -> str:
    """A fresh, unguessable order id."""
    return new_id("ord_")


@dataclass
class _Progress:
    """The holds a placement has taken so far, so a failure knows what to let go."""

    reservation_id: str | None = None
    authorization_id: str | None = None
    committed: bool = False
    captured: bool = False


class OrderService:
    """The orders use cases, run on the ports they are given."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        stock: StockGateway,
        payments: PaymentGateway,
        *,
        currency: str = "EUR",
        clock: Clock = utc_now,
        new_id: IdFactory = new_order_id,
        finish_attempts: int = FINISH_ATTEMPTS,
        drive_lease: float = DEFAULT_DRIVE_LEASE,
        checkpoint: Checkpoint | None = None,
    ) -> None:
        if finish_attempts < 1:
            raise ValueError("finish_attempts must be at least 1")
        self._uow = uow
        self._stock = stock
        self._payments = payments
        self._currency = currency
        self._clock = clock
        self._new_id = new_id
        self._finish_attempts = finish_attempts
        self._drive_lease = timedelta(seconds=drive_lease)
        self._checkpoint = checkpoint or _no_checkpoint

    async def place_order(
        self,
        *,
        customer_id: str,
        items: Sequence[RequestedItem],
        card_token: str,
        note: str | None = None,
        key: PlacementKey | None = None,
    ) -> Order:
        """Place an order: hold its stock, hold its payment, then take both.

        Returns the confirmed order. On failure the order is stored ``rejected``, every
        hold is let go, and the failure is raised: ``UnknownSku``, ``OutOfStock``,
        ``PaymentDeclined``, ``DependencyUnavailable`` or ``DependencyFailed``
        (``InvalidOrder`` before anything is stored).

        With ``key``, a key that placed an order before gets that order (module doc):
        confirmed, its rejection raised again, or resumed when its placement died;
        ``KeyReused`` for a different request, ``PlacementInProgress`` while another
        placement drives it.
        """
        now = self._clock()
        order = Order.place(
            order_id=self._new_id(),
            customer_id=customer_id,
            items=tuple(items),
            currency=self._currency,
            created_at=now,
            note=note,
        )
        first = await self._store(order, key, now)
        if first is not None:
            assert key is not None
            return await self._again(first, key, card_token)
        self._checkpoint("order_stored")
        return await self._drive(order, card_token)

    async def _store(
        self, order: Order, key: PlacementKey | None, now: datetime
    ) -> KeyedOrder | None:
        """Store the new order; with a key that placed one already, that one instead."""
        until = key.lease_until if key is not None else now + self._drive_lease
        for attempt in range(2):
            try:
                # Stored under its key at once: a key that placed an order already is
                # refused by the store (a conflict), and only then looked up, in the
                # transaction that would store the order (a new key, the usual case,
                # costs no lookup).
                async with self._uow() as uow:
                    if key is not None and attempt > 0:
                        found = await uow.orders.find_by_key(order.customer_id, key.key)
                        if found is not None:
                            return found
                    await uow.orders.add(order, driven_until=until, key=key)
                    await uow.commit()
                return None
            except ConcurrencyConflict:
                if key is None:
                    raise
                # The key placed an order before (or another placement with it stored
                # its order first): find it.
        raise ConcurrencyConflict(f"the order of key {key!r} could not be stored")

    async def _again(self, first: KeyedOrder, key: PlacementKey, card_token: str) -> Order:
        """Answer a key that placed ``first.order`` already (module doc)."""
        order = first.order
        if first.fingerprint != key.fingerprint:
            raise KeyReused(f"the key placed order {order.order_id} for another request")
        if order.status is OrderStatus.CONFIRMED:
            return order
        if order.status is OrderStatus.REJECTED:
            raise failure_error(order, first.failure)
        async with self._uow() as uow:
            taken = await uow.orders.drive(order, until=key.lease_until, now=self._clock())
            await uow.commit()
        if not taken:
            raise PlacementInProgress(order.order_id)
        log.warning("order %s: its placement was interrupted; resumed by a retry", order.order_id)
        return await self._resume(order, card_token)

    async def _resume(self, order: Order, card_token: str) -> Order:
        """Drive an order whose placement died: forward, unless it was letting go already
        (its stock released), then back to the end: rejected, nothing held."""
        oid = order.order_id
        try:
            stock = await self._stock.find_for_order(oid)
        except PlacementFailed:
            async with self._uow() as uow:  # the next retry may try at once
                await uow.orders.let_go(order)
                await uow.commit()
            raise
        if stock is None or stock.status != "released":
            return await self._drive(order, card_token)
        voided = await _best_effort(self._void_for_order(oid), "void", oid)
        gone = DependencyUnavailable(
            INTERRUPTED, "the placement was cut short while letting its holds go", sent=not voided
        )
        await self._abandon(order, _Progress(reservation_id=stock.hold.reservation_id), gone)
        raise gone

    async def _void_for_order(self, order_id: str) -> None:
        await self._payments.void_for_order(order_id)

    async def _drive(self, order: Order, card_token: str) -> Order:
        """Run the saga for the stored, pending ``order`` (this placement drives it)."""
        progress = _Progress()
        try:
            await self._run(order, card_token, progress)
        except Exception as exc:
            if not progress.committed:
                await asyncio.shield(asyncio.ensure_future(self._abandon(order, progress, exc)))
                raise
            if not await self._captured_after_all(order):
                await asyncio.shield(asyncio.ensure_future(self._hand_over(order, exc)))
                raise
        except BaseException as exc:
            # Shielded: a cancelled request still lets go of what it held.
            end = (
                self._hand_over(order, exc)
                if progress.committed
                else self._abandon(order, progress, exc)
            )
            await asyncio.shield(asyncio.ensure_future(end))
            raise
        await self._save(order)
        self._checkpoint("confirmed")
        return order

    async def _hand_over(self, order: Order, exc: BaseException) -> None:
        """Leave an order whose stock is sold to go forward later: it stays pending and
        this placement gives up its drive, so a retry of its key or the recovery captures
        the payment (idempotent) and confirms it.

        Never voided and rejected here: a capture whose answer was lost may still land
        after a void was refused, and would leave money taken for a rejected order.
        """
        log.warning(
            "order %s: stock sold, capture not confirmed (%s); left pending to go forward",
            order.order_id,
            exc,
        )
        try:
            async with self._uow() as uow:
                await uow.orders.let_go(order)
                await uow.commit()
        except Exception:
            # Its drive then ends with its lease; the recovery takes it after that.
            log.exception("could not give up the drive of order %s", order.order_id)

    async def get_order(self, order_id: str, *, reader: str | None = None) -> Order:
        """The order with this id; :class:`OrderNotFound` otherwise.

        ``reader`` is the customer asking (``None``: a reader that speaks for no customer).
        Another customer's order is not found, exactly as one that does not exist, so an
        id reveals nothing to whoever guesses it.
        """
        async with self._uow(read_only=True) as uow:
            order = await uow.orders.get(order_id)
        if order is None or not order.visible_to(reader):
            raise OrderNotFound(order_id)
        return order

    async def list_orders(self, customer_id: str, limit: int = 20) -> list[Order]:
        """The customer's newest ``limit`` orders, newest first."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        async with self._uow(read_only=True) as uow:
            return await uow.orders.list_for_customer(customer_id, limit)

    # -- the saga ------------------------------------------------------------------------

    async def _run(self, order: Order, card_token: str, progress: _Progress) -> None:
        hold = await self._stock.reserve(order.order_id, order.items)
        progress.reservation_id = hold.reservation_id
        self._checkpoint("reserved")
        try:
            order.hold_stock(hold)
        except InvalidTransition as exc:
            raise DependencyFailed("inventory", str(exc)) from exc
        if order.total_cents > 0:
            payment = await self._payments.authorize(
                order.order_id, order.total_cents, order.currency, card_token
            )
            progress.authorization_id = payment.authorization_id
            order.hold_payment(payment)
            self._checkpoint("authorized")
        await self._finish(self._stock.commit, hold.reservation_id)
        progress.committed = True
        self._checkpoint("committed")
        if progress.authorization_id is not None:
            await self._finish(self._payments.capture, progress.authorization_id)
            progress.captured = True
            self._checkpoint("captured")
        order.confirm()

    async def _finish(self, step: Callable[[str], Awaitable[None]], ref: str) -> None:
        """Run an idempotent last step, trying again while its service is unavailable."""
        for attempt in range(1, self._finish_attempts + 1):
            try:
                await step(ref)
                return
            except DependencyUnavailable:
                if attempt == self._finish_attempts:
                    raise
                await asyncio.sleep(_FINISH_BACKOFF * attempt)

    async def _captured_after_all(self, order: Order) -> bool:
        """Whether a capture whose answer was lost took the money after all; then the
        order is confirmed (never rejected with its money taken)."""
        try:
            found = await self._payments.find_for_order(order.order_id)
        except PlacementFailed:
            return False
        if found is None or found.status != "captured":
            return False
        order.confirm()
        log.warning("order %s: its capture went through after all; confirmed", order.order_id)
        return True

    async def _abandon(self, order: Order, progress: _Progress, exc: BaseException) -> None:
        """Before its stock is sold: let go of every hold, then store the order rejected
        (owing a compensation when a hold may be left)."""
        oid = order.order_id
        settled = isinstance(exc, _CLEAN_REFUSALS) or (
            isinstance(exc, DependencyUnavailable) and not exc.sent
        )
        if progress.authorization_id is not None:
            settled &= await _best_effort(
                self._payments.void(progress.authorization_id), "void", oid
            )
        if progress.reservation_id is not None:
            settled &= await _best_effort(
                self._stock.release(progress.reservation_id), "release stock", oid
            )
        if isinstance(exc, PlacementFailed):
            reason = exc.rejection
        elif isinstance(exc, asyncio.CancelledError):
            reason = "cancelled"
        else:
            reason = "internal"
        order.reject(reason)
        if not settled:
            order.owe_compensation()
        try:
            await self._save(order, failure=failure_record(exc))
        except Exception:
            log.exception("could not store order %s as rejected", oid)

    async def _save(self, order: Order, *, failure: dict[str, object] | None = None) -> None:
        async with self._uow() as uow:
            await uow.orders.save(order, failure=failure)
            await uow.commit()


#: Refusals that leave nothing unknown held behind (so does a call that was never sent);
#: every other failure may have left a hold orders never heard of.
_CLEAN_REFUSALS = (UnknownSku, OutOfStock, PaymentDeclined)


async def _best_effort(step: Awaitable[None], what: str, order_id: str) -> bool:
    """Run a compensation; False (logged, not raised) when it failed."""
    try:
        await step
    except Exception:
        log.exception("compensation failed for order %s: could not %s", order_id, what)
        return False
    return True
