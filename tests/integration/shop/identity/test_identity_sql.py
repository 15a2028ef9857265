"""The customer repository and unit of work, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import anyio
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.identity.adapters.sql import SqlUnitOfWork, customers
from shop.identity.application.ports import ConcurrencyConflict
from shop.identity.application.services import IdentityService
from shop.identity.domain.exceptions import EmailTaken, InvalidCredentials
from shop.identity.domain.model import Customer

pytestmark = pytest.mark.anyio

WHEN = datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)


def make(n: int = 1, *, email: str | None = None, password_hash: str | None = "h") -> Customer:
    return Customer(f"cus_{n}", email or f"c{n}@example.com", password_hash, WHEN)


async def add(engine: AsyncEngine, customer: Customer) -> None:
    async with SqlUnitOfWork(engine) as uow:
        await uow.customers.add(customer)
        await uow.commit()


async def test_round_trip_keeps_every_field_exactly(engine: AsyncEngine) -> None:
    elsewhere = make(password_hash="scrypt$" + "x" * 200)
    elsewhere.created_at = WHEN.astimezone(timezone(timedelta(hours=-5)))
    await add(engine, elsewhere)
    await add(engine, make(2, password_hash=None))
    async with SqlUnitOfWork(engine) as uow:
        first = await uow.customers.get_by_email("c1@example.com")
        second = await uow.customers.get_by_email("c2@example.com")
    assert first == Customer("cus_1", "c1@example.com", "scrypt$" + "x" * 200, WHEN)
    assert first is not None and first.created_at.tzinfo is UTC
    assert second is not None and second.password_hash is None


async def test_a_missing_address_is_none(engine: AsyncEngine) -> None:
    async with SqlUnitOfWork(engine) as uow:
        assert await uow.customers.get_by_email("nobody@example.com") is None


async def test_without_commit_nothing_is_kept(engine: AsyncEngine) -> None:
    async with SqlUnitOfWork(engine) as uow:
        await uow.customers.add(make())
    async with SqlUnitOfWork(engine) as uow:
        assert await uow.customers.get_by_email("c1@example.com") is None


async def test_one_customer_per_address(engine: AsyncEngine) -> None:
    await add(engine, make(1, email="same@example.com"))
    with pytest.raises(ConcurrencyConflict):
        await add(engine, make(2, email="same@example.com"))
    async with engine.connect() as conn:
        count = await conn.scalar(sa.select(sa.func.count()).select_from(customers))
    assert count == 1


async def test_a_duplicate_key_is_a_conflict_too(engine: AsyncEngine) -> None:
    await add(engine, make(1))
    with pytest.raises(ConcurrencyConflict):
        await add(engine, make(1, email="other@example.com"))


async def test_register_and_login_end_to_end(service: IdentityService) -> None:
    customer = await service.register(" Ada@Example.COM ", "correct horse battery")
    assert customer.email == "ada@example.com"
    token = await service.login("ada@example.com", "correct horse battery")
    assert token.token.count(".") == 2 and token.scopes == {"orders:read", "orders:write"}
    with pytest.raises(EmailTaken):
        await service.register("ada@example.com", "another good password")
    with pytest.raises(InvalidCredentials):
        await service.login("ada@example.com", "wrong horse battery")


async def test_concurrent_registrations_of_one_address_leave_one_customer(
    service: IdentityService, engine: AsyncEngine
) -> None:
    outcomes: list[str] = []

    async def register(n: int) -> None:
        try:
            await service.register("race@example.com", f"password number {n}")
            outcomes.append("registered")
        except EmailTaken:
            outcomes.append("taken")

    async with anyio.create_task_group() as tg:
        for n in range(4):
            tg.start_soon(register, n)
    assert sorted(outcomes) == ["registered", "taken", "taken", "taken"]
    async with engine.connect() as conn:
        count = await conn.scalar(sa.select(sa.func.count()).select_from(customers))
    assert count == 1
