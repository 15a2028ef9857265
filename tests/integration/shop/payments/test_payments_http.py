"""Payments over HTTP: the real app in-process, called with raw requests and the typed client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from accord.observability.telemetry import Telemetry
from accord.runtime import App
from shop.payments.adapters.processor import SimulatedProcessor
from shop.payments.bootstrap import Settings, create_app
from shop.payments.contract import (
    AlreadyAuthorized,
    AuthorizationNotFound,
    AuthorizationRef,
    AuthorizePayment,
    CardDeclined,
    InvalidTransition,
    ListAuthorizations,
    Payments,
    ProcessorUnavailable,
)
from tests.support.asgi import lifespan
from tests.support.tokens import TestIssuer

pytestmark = pytest.mark.anyio

#: The app checks tokens signed by this test key; the clients hold every payments scope.
ISSUER = TestIssuer()
SCOPES = ("payments:authorize", "payments:capture", "payments:void", "payments:read")


@pytest.fixture
def bearer() -> dict[str, str]:
    """A fresh bearer header per test: one minted at import would expire in a long suite."""
    return ISSUER.bearer(*SCOPES)


@pytest.fixture
def processor() -> SimulatedProcessor:
    return SimulatedProcessor()


@pytest.fixture
async def app(tmp_path: Path, processor: SimulatedProcessor) -> AsyncIterator[App]:
    settings = Settings(home=str(tmp_path), database_url=f"sqlite:///{tmp_path}/payments.db")
    served = create_app(
        settings,
        telemetry=Telemetry.noop("payments"),
        processor=processor,
        verifier=ISSUER.verifier("payments"),
    )
    # The lifespan closes the engine while this test's event loop still runs.
    async with lifespan(served):
        yield served


@pytest.fixture
async def http(app: App, bearer: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://payments", headers=bearer
    ) as client:
        yield client


@pytest.fixture
async def payments(app: App, bearer: dict[str, str]) -> AsyncIterator[Payments]:
    transport = httpx.ASGITransport(app=app)
    async with Payments.client("http://payments", transport=transport, headers=bearer) as client:
        yield client


def authorize(token: str = "tok_visa", order: str = "ord-1", cents: int = 4999) -> AuthorizePayment:
    return AuthorizePayment(order_id=order, amount_cents=cents, currency="EUR", card_token=token)


async def test_authorize_capture_and_read_back(
    payments: Payments, processor: SimulatedProcessor
) -> None:
    auth = await payments.authorize(authorize())
    assert (auth.status, auth.amount_cents, auth.currency) == ("authorized", 4999, "EUR")
    ref = AuthorizationRef(authorization_id=auth.authorization_id)
    assert (await payments.capture(ref)).status == "captured"
    assert (await payments.capture(ref)).status == "captured"
    assert (await payments.get_authorization(ref)).status == "captured"
    assert list(processor.holds.values()) == ["settled"]
    with pytest.raises(InvalidTransition):
        await payments.void(ref)


async def test_authorizations_are_listed_by_status_and_order_a_page_at_a_time(
    payments: Payments,
) -> None:
    made = [await payments.authorize(authorize(order=f"ord-{n}")) for n in range(4)]
    await payments.void(AuthorizationRef(authorization_id=made[1].authorization_id))
    ids = sorted(a.authorization_id for a in made)

    async def listed(**asked: Any) -> list[str]:
        found = await payments.list_authorizations(ListAuthorizations(**asked))
        return [a.authorization_id for a in found.authorizations]

    assert await listed() == ids
    assert await listed(limit=3) == ids[:3]
    assert await listed(after=ids[2]) == ids[3:]
    assert await listed(status="voided") == [made[1].authorization_id]
    held = sorted(a.authorization_id for a in made if a is not made[1])
    assert await listed(status="authorized", after=held[0], limit=1) == held[1:2]
    assert await listed(order_id="ord-3") == [made[3].authorization_id]
    assert await listed(order_id="ord-3", status="voided") == []


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("tok_declined", "do_not_honor"),
        ("tok_insufficient_funds", "insufficient_funds"),
        ("tok_expired", "card_expired"),
        ("tok_fraud", "fraud_suspected"),
    ],
)
async def test_declines_are_402_problems_with_the_reason(
    http: httpx.AsyncClient, payments: Payments, token: str, reason: str
) -> None:
    response = await http.post(
        "/v1/authorizations",
        json={"order_id": "o", "amount_cents": 100, "card_token": token},
        headers={"Idempotency-Key": "k-" + token},
    )
    assert response.status_code == 402
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert (problem["code"], problem["reason"]) == ("payments.card_declined", reason)
    with pytest.raises(CardDeclined) as info:
        await payments.authorize(authorize(token, order="o2"))
    assert info.value.info is not None and info.value.info.reason == reason


async def test_processor_unavailable_is_a_retryable_503(
    http: httpx.AsyncClient, payments: Payments
) -> None:
    with pytest.raises(ProcessorUnavailable):
        await payments.authorize(authorize("tok_unavailable"))
    response = await http.post(
        "/v1/authorizations",
        json={"order_id": "o", "amount_cents": 100, "card_token": "tok_unavailable"},
        headers={"Idempotency-Key": "k1"},
    )
    assert response.status_code == 503
    assert response.json()["code"] == "payments.processor_unavailable"


async def test_unknown_authorization_is_404(payments: Payments) -> None:
    ref = AuthorizationRef(authorization_id="auth_missing")
    for call in (payments.get_authorization, payments.capture, payments.void):
        with pytest.raises(AuthorizationNotFound):
            await call(ref)


async def test_bad_input_is_a_422_problem_pointing_at_the_field(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v1/authorizations",
        json={"order_id": "o", "amount_cents": 0, "card_token": "tok_visa"},
        headers={"Idempotency-Key": "k2"},
    )
    assert response.status_code == 422
    assert "amount_cents" in response.text
    assert "Traceback" not in response.text


async def test_authorizing_again_replays_a_different_amount_conflicts(payments: Payments) -> None:
    first = await payments.authorize(authorize(order="same"))
    again = await payments.authorize(authorize(order="same"))
    assert again.authorization_id == first.authorization_id
    with pytest.raises(AlreadyAuthorized, match="different amount"):
        await payments.authorize(authorize(order="same", cents=1))


async def test_concurrent_capture_and_void_requests_agree(
    payments: Payments, processor: SimulatedProcessor
) -> None:
    auth = await payments.authorize(authorize(order="race"))
    ref = AuthorizationRef(authorization_id=auth.authorization_id)
    answers: list[str] = []

    async def send(capture: bool) -> None:
        try:
            done = await (payments.capture if capture else payments.void)(ref)
            answers.append(done.status)
        except InvalidTransition:
            answers.append("refused")

    async with anyio.create_task_group() as tg:
        for i in range(16):
            tg.start_soon(send, i % 2 == 0)
    final = (await payments.get_authorization(ref)).status
    assert final in ("captured", "voided")
    assert answers.count(final) == 8 and answers.count("refused") == 8
    assert list(processor.holds.values()) == ["settled" if final == "captured" else "reversed"]
