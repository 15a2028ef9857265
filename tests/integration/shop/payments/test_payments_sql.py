"""The authorization repository and unit of work, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import anyio
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.payments.adapters.processor import ProcessorGateway, SimulatedProcessor
from shop.payments.adapters.sql import SqlUnitOfWork, authorizations, unit_of_work
from shop.payments.application.ports import ConcurrencyConflict
from shop.payments.application.services import PaymentService
from shop.payments.domain.exceptions import InvalidTransition
from shop.payments.domain.model import Authorization, AuthorizationStatus, Money

pytestmark = pytest.mark.anyio

WHEN = datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)


def make(n: int = 1, *, order: str | None = None, cents: int = 1234) -> Authorization:
    return Authorization(
        authorization_id=f"auth-{n}",
        order_id=order or f"ord-{n}",
        amount=Money(cents, "EUR"),
        processor_reference=f"prc-{n}",
        created_at=WHEN,
    )


async def add(engine: AsyncEngine, auth: Authorization) -> None:
    async with SqlUnitOfWork(engine) as uow:
        await uow.authorizations.add(auth)
        await uow.commit()


async def test_round_trip_keeps_every_field_exactly(engine: AsyncEngine) -> None:
    big = make(cents=99_999_999_999)
    big.created_at = WHEN.astimezone(timezone(timedelta(hours=2)))
    await add(engine, big)
    async with SqlUnitOfWork(engine) as uow:
        by_id = await uow.authorizations.get("auth-1")
        by_order = await uow.authorizations.get_for_order("ord-1")
    assert by_id == by_order
    assert by_id is not None
    assert by_id.amount == Money(99_999_999_999, "EUR")
    assert by_id.created_at == WHEN and by_id.created_at.tzinfo is not None
    assert (by_id.status, by_id.version, by_id.processor_reference) == (
        AuthorizationStatus.AUTHORIZED,
        0,
        "prc-1",
    )


async def test_missing_rows_are_none(engine: AsyncEngine) -> None:
    async with SqlUnitOfWork(engine) as uow:
        assert await uow.authorizations.get("nope") is None
        assert await uow.authorizations.get_for_order("nope") is None


async def test_without_commit_nothing_is_kept(engine: AsyncEngine) -> None:
    async with SqlUnitOfWork(engine) as uow:
        await uow.authorizations.add(make())
    async with SqlUnitOfWork(engine) as uow:
        assert await uow.authorizations.get("auth-1") is None


async def test_one_authorization_per_order(engine: AsyncEngine) -> None:
    await add(engine, make(1, order="ord-x"))
    with pytest.raises(ConcurrencyConflict):
        await add(engine, make(2, order="ord-x"))


async def test_save_bumps_the_version_and_detects_a_stale_write(engine: AsyncEngine) -> None:
    await add(engine, make())
    async with SqlUnitOfWork(engine) as uow:
        first = await uow.authorizations.get("auth-1")
    async with SqlUnitOfWork(engine) as uow:
        stale = await uow.authorizations.get("auth-1")
    assert first is not None and stale is not None
    first.capture()
    async with SqlUnitOfWork(engine) as uow:
        await uow.authorizations.save(first)
        await uow.commit()
    assert first.version == 1
    stale.void()
    async with SqlUnitOfWork(engine) as uow:
        with pytest.raises(ConcurrencyConflict):
            await uow.authorizations.save(stale)
    async with SqlUnitOfWork(engine) as uow:
        stored = await uow.authorizations.get("auth-1")
    assert stored is not None
    assert (stored.status, stored.version) == (AuthorizationStatus.CAPTURED, 1)


async def test_check_constraints_guard_the_row(engine: AsyncEngine) -> None:
    """The database refuses what the domain would never write, as a second line."""
    for bad in ({"amount_cents": 0}, {"status": "refunded"}):
        values = {
            "authorization_id": "x",
            "order_id": "o",
            "amount_cents": 5,
            "currency": "EUR",
            "processor_reference": "r",
            "status": "authorized",
            "created_at": WHEN,
            "version": 0,
        } | bad
        async with engine.connect() as conn:
            with pytest.raises(IntegrityError):
                await conn.execute(sa.insert(authorizations).values(**values))
            await conn.rollback()


async def test_concurrent_capture_and_void_one_wins_and_the_processor_agrees(
    engine: AsyncEngine,
) -> None:
    """Many racing captures and voids: one outcome, told once to the processor."""
    processor = SimulatedProcessor()
    service = PaymentService(unit_of_work(engine), ProcessorGateway(processor), attempts=50)
    auth = await service.authorize(order_id="ord-race", amount=Money(500, "EUR"), card_token="t")
    outcomes: list[str] = []

    async def attempt(capture: bool) -> None:
        try:
            done = await (service.capture if capture else service.void)(auth.authorization_id)
            outcomes.append(done.status.value)
        except InvalidTransition:
            outcomes.append("refused")

    async with anyio.create_task_group() as tg:
        for i in range(20):
            tg.start_soon(attempt, i % 2 == 0)

    final = await service.get(auth.authorization_id)
    assert final.status is not AuthorizationStatus.AUTHORIZED
    assert final.version == 1
    assert set(outcomes) == {final.status.value, "refused"}
    assert outcomes.count(final.status.value) == 10
    expected = "settled" if final.status is AuthorizationStatus.CAPTURED else "reversed"
    assert processor.holds == {auth.processor_reference: expected}


async def test_concurrent_authorizations_of_one_order_keep_one_hold(engine: AsyncEngine) -> None:
    processor = SimulatedProcessor()
    service = PaymentService(unit_of_work(engine), ProcessorGateway(processor), attempts=50)
    ids: list[str] = []

    async def attempt() -> None:
        done = await service.authorize(order_id="o-1", amount=Money(700, "EUR"), card_token="t")
        ids.append(done.authorization_id)

    async with anyio.create_task_group() as tg:
        for _ in range(10):
            tg.start_soon(attempt)

    assert len(set(ids)) == 1
    kept = await service.get(ids[0])
    assert [ref for ref, state in processor.holds.items() if state == "approved"] == [
        kept.processor_reference
    ]
