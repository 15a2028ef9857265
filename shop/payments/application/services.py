"""Payments' use cases: authorize, read, capture and void.

Every state change is a read-decide-write under optimistic concurrency: when a
concurrent request wins the race (:class:`ConcurrencyConflict`), the use case reads
again and decides again, a bounded number of times.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from accord.ports import ConflictRetry
from shop.common.errors import found
from shop.common.fresh import new_id, utc_now
from shop.common.listing import Listing
from shop.payments.application.ports import (
    CardProcessor,
    Clock,
    ConcurrencyConflict,
    IdFactory,
    UnitOfWorkFactory,
)
from shop.payments.domain.exceptions import (
    AuthorizationNotFound,
    CardDeclined,
    DuplicateAuthorization,
    ProcessorUnavailable,
)
from shop.payments.domain.model import Authorization, AuthorizationStatus, Declined, Money

__all__ = ["DEFAULT_ATTEMPTS", "PaymentService", "new_authorization_id", "utc_now"]

log = logging.getLogger(__name__)

#: How many times a use case tries when concurrent requests keep winning the race.
DEFAULT_ATTEMPTS = 8


def new_authorization_id() -> str:
    """A fresh, unguessable authorization id."""
    return new_id("auth_")


class PaymentService:
    """The payments use cases, run on the ports they are given."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        processor: CardProcessor,
        *,
        clock: Clock = utc_now,
        new_id: IdFactory = new_authorization_id,
        attempts: int = DEFAULT_ATTEMPTS,
    ) -> None:
        self._uow = uow
        self._processor = processor
        self._clock = clock
        self._new_id = new_id
        self._retry = ConflictRetry(attempts)

    async def authorize(self, *, order_id: str, amount: Money, card_token: str) -> Authorization:
        """Hold ``amount`` on the card for ``order_id``.

        An order has at most one authorization: asking again with the same amount
        returns the one already held (a safe retry); with a different amount it is a
        :class:`DuplicateAuthorization`. Raises :class:`CardDeclined` or
        :class:`ProcessorUnavailable` when the processor does not approve.
        """
        existing = await self._for_order(order_id)
        if existing is not None:
            return _replay(existing, order_id, amount)
        decision = await self._processor.authorize(
            order_id=order_id, amount=amount, card_token=card_token
        )
        if isinstance(decision, Declined):
            raise CardDeclined(decision.reason)
        authorization = Authorization(
            authorization_id=self._new_id(),
            order_id=order_id,
            amount=amount,
            processor_reference=decision.reference,
            created_at=self._clock(),
        )
        try:
            async with self._uow() as uow:
                await uow.authorizations.add(authorization)
                await uow.commit()
        except ConcurrencyConflict:
            # A concurrent request for the same order stored its hold first: ours is an
            # orphan at the processor, so let it go and answer with the winner.
            await _best_effort(self._processor.void(decision.reference), decision.reference)
            winner = await self._for_order(order_id)
            if winner is None:  # pragma: no cover - the conflict implies a row
                raise
            return _replay(winner, order_id, amount)
        return authorization

    async def get(self, authorization_id: str) -> Authorization:
        """The authorization with this id; :class:`AuthorizationNotFound` otherwise."""
        async with self._uow(read_only=True) as uow:
            authorization = await uow.authorizations.get(authorization_id)
        return found(authorization, AuthorizationNotFound, authorization_id)

    async def for_order(self, order_id: str) -> Authorization:
        """The authorization of ``order_id``; :class:`AuthorizationNotFound` otherwise."""
        authorization = await self._for_order(order_id)
        return found(authorization, AuthorizationNotFound, f"for order {order_id}")

    async def find(self, listing: Listing[AuthorizationStatus]) -> list[Authorization]:
        """The authorizations ``listing`` asks for, in id order: what an audit reads to find
        money held or taken."""
        async with self._uow(read_only=True) as uow:
            return await uow.authorizations.find(listing)

    async def capture(self, authorization_id: str) -> Authorization:
        """Take the held money. Idempotent; a voided authorization is an InvalidTransition."""
        return await self._transition(authorization_id, capture=True)

    async def void(self, authorization_id: str) -> Authorization:
        """Let the held money go. Idempotent; a captured one is an InvalidTransition."""
        return await self._transition(authorization_id, capture=False)

    async def _transition(self, authorization_id: str, *, capture: bool) -> Authorization:
        async def once() -> Authorization:
            async with self._uow() as uow:
                auth = found(
                    await uow.authorizations.get(authorization_id),
                    AuthorizationNotFound,
                    authorization_id,
                )
                changed = auth.capture() if capture else auth.void()
                if not changed:
                    return auth
                # The versioned write comes first and holds the row until commit, so
                # only the request that wins it talks to the processor.
                await uow.authorizations.save(auth)
                if capture:
                    await self._processor.capture(auth.processor_reference, auth.amount)
                else:
                    await self._processor.void(auth.processor_reference)
                await uow.commit()
                return auth

        return await self._retry.run(once, f"authorization {authorization_id!r}")

    async def _for_order(self, order_id: str) -> Authorization | None:
        async with self._uow(read_only=True) as uow:
            return await uow.authorizations.get_for_order(order_id)


def _replay(existing: Authorization, order_id: str, amount: Money) -> Authorization:
    if not existing.same_request(order_id, amount):
        raise DuplicateAuthorization(order_id, existing.authorization_id)
    return existing


async def _best_effort(call: Awaitable[None], reference: str) -> None:
    try:
        await call
    except ProcessorUnavailable:
        log.warning("could not release orphan processor hold %s", reference)
