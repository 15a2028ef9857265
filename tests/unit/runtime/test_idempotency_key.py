"""Operations that require an idempotency key refuse a request without one (400)."""

from __future__ import annotations

import httpx
import msgspec
import pytest

from accord import Contract, Idempotency, operation
from accord.runtime import App


class Pay(msgspec.Struct):
    amount: int


class Paid(msgspec.Struct):
    amount: int


class Till(Contract, name="till", version="1.0.0"):
    pay = operation(Pay, Paid, method="POST", path="/pay", idempotency=Idempotency.REQUIRES_KEY)
    refund = operation(Pay, Paid, method="POST", path="/refund")


class TillService:
    async def pay(self, request: Pay) -> Paid:
        return Paid(amount=request.amount)

    async def refund(self, request: Pay) -> Paid:
        return Paid(amount=request.amount)


@pytest.fixture
async def client() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=App(Till, TillService()))
    return httpx.AsyncClient(transport=transport, base_url="http://till.test")


@pytest.mark.anyio
@pytest.mark.parametrize(
    "headers",
    [{}, {"idempotency-key": ""}, {"idempotency-key": "k" * 256}, {"idempotency-key": "a b"}],
    ids=["missing", "empty", "too-long", "space"],
)
async def test_a_request_without_a_usable_key_is_400(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    answer = await client.post("/v1/pay", json={"amount": 5}, headers=headers)
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "idempotency_key_required"


@pytest.mark.anyio
async def test_a_key_lets_the_request_through(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/pay", json={"amount": 5}, headers={"idempotency-key": "k-1"})
    assert answer.status_code == 200
    assert answer.json() == {"amount": 5}


@pytest.mark.anyio
async def test_other_operations_need_no_key(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/refund", json={"amount": 5})
    assert answer.status_code == 200
