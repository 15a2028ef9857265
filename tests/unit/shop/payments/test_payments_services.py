"""Payments' use cases on in-memory ports."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import anyio
import pytest

from shop.payments.application.ports import ConcurrencyConflict
from shop.payments.application.services import PaymentService
from shop.payments.domain.exceptions import (
    AuthorizationNotFound,
    CardDeclined,
    DuplicateAuthorization,
    InvalidTransition,
    ProcessorUnavailable,
)
from shop.payments.domain.model import AuthorizationStatus, Declined, DeclineReason, Money
from tests.unit.shop.payments.fakes import FakeProcessor, FakeStore, FakeUnitOfWork

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
EUR_25 = Money(2500, "EUR")


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def processor() -> FakeProcessor:
    return FakeProcessor()


@pytest.fixture
def service(store: FakeStore, processor: FakeProcessor) -> PaymentService:
    ids = (f"auth-{n}" for n in itertools.count(1))
    return PaymentService(
        lambda read_only=False: FakeUnitOfWork(store, read_only=read_only),
        processor,
        clock=lambda: NOW,
        new_id=lambda: next(ids),
    )


@pytest.mark.anyio
async def test_authorize_stores_an_authorized_hold(
    service: PaymentService, store: FakeStore
) -> None:
    auth = await service.authorize(order_id="ord-1", amount=EUR_25, card_token="tok_ok")
    assert auth.status is AuthorizationStatus.AUTHORIZED
    assert (auth.authorization_id, auth.amount, auth.created_at) == ("auth-1", EUR_25, NOW)
    assert store.rows["auth-1"].processor_reference == "ref-1"
    assert store.read_only_opened == 1  # the look for an authorization already held
    assert (await service.get("auth-1")).order_id == "ord-1"
    assert (await service.for_order("ord-1")).authorization_id == "auth-1"
    assert store.read_only_opened == 3  # reads open units of work that only read
    assert store.commits == 1  # the authorization's insert alone


@pytest.mark.anyio
async def test_declined_card_stores_nothing(
    service: PaymentService, store: FakeStore, processor: FakeProcessor
) -> None:
    processor.decision = Declined(DeclineReason.INSUFFICIENT_FUNDS)
    with pytest.raises(CardDeclined) as info:
        await service.authorize(order_id="ord-1", amount=EUR_25, card_token="tok")
    assert info.value.reason is DeclineReason.INSUFFICIENT_FUNDS
    assert store.rows == {}


@pytest.mark.anyio
async def test_processor_outage_propagates_and_stores_nothing(
    service: PaymentService, store: FakeStore, processor: FakeProcessor
) -> None:
    processor.unavailable = True
    with pytest.raises(ProcessorUnavailable):
        await service.authorize(order_id="ord-1", amount=EUR_25, card_token="tok")
    assert store.rows == {}


@pytest.mark.anyio
async def test_authorizing_an_order_again_replays_or_refuses(
    service: PaymentService, processor: FakeProcessor
) -> None:
    first = await service.authorize(order_id="ord-1", amount=EUR_25, card_token="tok")
    again = await service.authorize(order_id="ord-1", amount=EUR_25, card_token="tok")
    assert again.authorization_id == first.authorization_id
    assert processor.calls == [("authorize", "ord-1")]
    with pytest.raises(DuplicateAuthorization):
        await service.authorize(order_id="ord-1", amount=Money(1, "EUR"), card_token="tok")


@pytest.mark.anyio
async def test_losing_an_authorize_race_voids_the_orphan_hold(
    store: FakeStore, processor: FakeProcessor
) -> None:
    """Two requests for one order both reach the processor; one hold is let go."""
    ids = iter(["auth-a", "auth-b"])
    service = PaymentService(
        lambda read_only=False: FakeUnitOfWork(store, read_only=read_only),
        processor,
        new_id=lambda: next(ids),
    )
    results = []

    async def go() -> None:
        results.append(await service.authorize(order_id="o", amount=EUR_25, card_token="t"))

    async with anyio.create_task_group() as tg:
        tg.start_soon(go)
        tg.start_soon(go)
    assert len(store.rows) == 1
    assert {r.authorization_id for r in results} == set(store.rows)
    voided = [ref for call, ref in processor.calls if call == "void"]
    kept = next(iter(store.rows.values())).processor_reference
    assert len(voided) == 1 and voided[0] != kept


@pytest.mark.anyio
async def test_capture_then_capture_again_calls_the_processor_once(
    service: PaymentService, processor: FakeProcessor
) -> None:
    auth = await service.authorize(order_id="o", amount=EUR_25, card_token="t")
    captured = await service.capture(auth.authorization_id)
    again = await service.capture(auth.authorization_id)
    assert captured.status is again.status is AuthorizationStatus.CAPTURED
    assert [c for c, _ in processor.calls] == ["authorize", "capture"]
    with pytest.raises(InvalidTransition):
        await service.void(auth.authorization_id)


@pytest.mark.anyio
async def test_void_then_capture_is_an_invalid_transition(service: PaymentService) -> None:
    auth = await service.authorize(order_id="o", amount=EUR_25, card_token="t")
    assert (await service.void(auth.authorization_id)).status is AuthorizationStatus.VOIDED
    assert (await service.void(auth.authorization_id)).status is AuthorizationStatus.VOIDED
    with pytest.raises(InvalidTransition):
        await service.capture(auth.authorization_id)


@pytest.mark.anyio
async def test_processor_outage_during_capture_keeps_the_authorization(
    service: PaymentService, store: FakeStore, processor: FakeProcessor
) -> None:
    auth = await service.authorize(order_id="o", amount=EUR_25, card_token="t")
    processor.unavailable = True
    with pytest.raises(ProcessorUnavailable):
        await service.capture(auth.authorization_id)
    assert store.rows[auth.authorization_id].status is AuthorizationStatus.AUTHORIZED
    processor.unavailable = False
    assert (await service.capture(auth.authorization_id)).status is AuthorizationStatus.CAPTURED


@pytest.mark.anyio
async def test_unknown_authorization(service: PaymentService) -> None:
    for call in (service.get, service.capture, service.void):
        with pytest.raises(AuthorizationNotFound, match="nope"):
            await call("nope")


@pytest.mark.anyio
async def test_a_conflict_is_retried_and_decided_again(
    service: PaymentService, store: FakeStore
) -> None:
    """A concurrent void lands between our read and our write: capture must refuse."""
    auth = await service.authorize(order_id="o", amount=EUR_25, card_token="t")

    class Interfering(FakeUnitOfWork):
        first = True

        async def commit(self) -> None:
            if Interfering.first:
                Interfering.first = False
                row = store.rows[auth.authorization_id]
                row.status, row.version = AuthorizationStatus.VOIDED, row.version + 1
            await super().commit()

    racing = PaymentService(lambda: Interfering(store), FakeProcessor())
    with pytest.raises(InvalidTransition):
        await racing.capture(auth.authorization_id)
    assert store.rows[auth.authorization_id].status is AuthorizationStatus.VOIDED


@pytest.mark.anyio
async def test_endless_conflicts_give_up(store: FakeStore) -> None:
    class AlwaysLoses(FakeUnitOfWork):
        async def commit(self) -> None:
            raise ConcurrencyConflict("always")

    seed = PaymentService(
        lambda read_only=False: FakeUnitOfWork(store, read_only=read_only), FakeProcessor()
    )
    auth = await seed.authorize(order_id="o", amount=EUR_25, card_token="t")
    service = PaymentService(lambda: AlwaysLoses(store), FakeProcessor(), attempts=3)
    with pytest.raises(ConcurrencyConflict, match="3 attempts"):
        await service.capture(auth.authorization_id)


def test_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="attempts"):
        PaymentService(
            lambda read_only=False: FakeUnitOfWork(FakeStore(), read_only=read_only),
            FakeProcessor(),
            attempts=0,
        )
