"""The idempotency layer on the in-memory store: one answer per key, replayed to retries."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest

from accord import Contract, Idempotency, ServiceError, operation
from accord.contract import Operation
from accord.errors import Unavailable
from accord.runtime import App
from accord.runtime.deadlines import Deadlines
from accord.runtime.idempotency import (
    ANONYMOUS,
    Claimed,
    IdempotencyLayer,
    InFlight,
    MemoryIdempotencyStore,
    Mismatch,
    StoredResponse,
    fingerprint,
    retention_from_env,
    scope_of,
)
from accord.runtime.layers import Handler
from accord.runtime.requests import Request
from accord.runtime.responses import Response

pytestmark = pytest.mark.anyio


class Charge(msgspec.Struct):
    amount: int
    mode: str = "ok"


class Charged(msgspec.Struct):
    charge_id: int
    amount: int


class Declined(ServiceError[None], code="till.declined", status=402):
    """Card declined"""


class Till(Contract, name="till", version="1.0.0"):
    charge = operation(
        Charge,
        Charged,
        method="POST",
        path="/charges",
        status=201,
        idempotency=Idempotency.REQUIRES_KEY,
        timeout=1.0,
        errors=(Declined,),
    )
    look = operation(Charge, Charged, method="POST", path="/look")


class TillService:
    def __init__(self) -> None:
        self.charges: list[int] = []
        self.gate: asyncio.Event | None = None
        self.outage = 0
        self.slow = False

    async def charge(self, request: Charge) -> Charged:
        if self.gate is not None:
            await self.gate.wait()
        if request.mode == "declined":
            raise Declined("no funds")
        if request.mode == "broken":
            raise RuntimeError("bug")
        if request.mode == "outage" and self.outage > 0:
            self.outage -= 1
            raise Unavailable("try later").with_header("Retry-After", "1")
        if self.slow:
            await asyncio.sleep(5)
        self.charges.append(request.amount)
        return Charged(charge_id=len(self.charges), amount=request.amount)

    async def look(self, request: Charge) -> Charged:
        return Charged(charge_id=0, amount=request.amount)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Subject:
    """Sets the principal from an ``x-subject`` header, as an authentication layer would."""

    class Principal:
        def __init__(self, subject: str) -> None:
            self.subject = subject

    def wrap(self, operation: Operation[Any, Any], handler: Handler) -> Handler:
        async def identified(request: Request) -> Response:
            subject = request.header(b"x-subject")
            if subject is not None:
                request.principal = self.Principal(subject.decode())
            return await handler(request)

        return identified


@pytest.fixture
def service() -> TillService:
    return TillService()


@pytest.fixture
def store() -> MemoryIdempotencyStore:
    return MemoryIdempotencyStore()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def layer(store: MemoryIdempotencyStore, clock: Clock) -> IdempotencyLayer:
    return IdempotencyLayer(store, retention=3600, clock=clock)


@pytest.fixture
async def client(service: TillService, layer: IdempotencyLayer) -> AsyncIterator[httpx.AsyncClient]:
    app = App(Till, service, layers=[Subject(), Deadlines(), layer])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://till.test") as c:
        yield c


def _key(value: str, **more: str) -> dict[str, str]:
    return {"idempotency-key": value, **more}


async def test_a_retry_gets_the_first_answer_byte_for_byte(
    client: httpx.AsyncClient, service: TillService
) -> None:
    first = await client.post("/v1/charges", json={"amount": 5}, headers=_key("k1"))
    again = await client.post("/v1/charges", json={"amount": 5}, headers=_key("k1"))
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert "idempotency-replayed" not in first.headers
    assert again.headers["idempotency-replayed"] == "true"
    assert service.charges == [5]
    other = await client.post("/v1/charges", json={"amount": 5}, headers=_key("k2"))
    assert other.json()["charge_id"] == 2


async def test_a_key_reused_for_another_request_is_422(
    client: httpx.AsyncClient, service: TillService
) -> None:
    await client.post("/v1/charges", json={"amount": 5}, headers=_key("k1"))
    reused = await client.post("/v1/charges", json={"amount": 6}, headers=_key("k1"))
    assert reused.status_code == 422
    assert reused.headers["content-type"] == "application/problem+json"
    assert reused.json()["code"] == "idempotency_key_reused"
    assert service.charges == [5]


async def test_a_key_still_in_flight_is_409_with_retry_after(
    client: httpx.AsyncClient, service: TillService
) -> None:
    service.gate = asyncio.Event()
    first = asyncio.create_task(client.post("/v1/charges", json={"amount": 5}, headers=_key("k1")))
    await asyncio.sleep(0.05)
    busy = await client.post("/v1/charges", json={"amount": 5}, headers=_key("k1"))
    assert busy.status_code == 409
    assert busy.json()["code"] == "idempotency_key_in_use"
    assert busy.headers["retry-after"] == "1"
    service.gate.set()
    assert (await first).status_code == 201
    assert service.charges == [5]


async def test_a_declared_error_is_stored_and_replayed_byte_for_byte(
    client: httpx.AsyncClient, service: TillService
) -> None:
    body = {"amount": 5, "mode": "declined"}
    first = await client.post("/v1/charges", json=body, headers=_key("k1"))
    again = await client.post("/v1/charges", json=body, headers=_key("k1"))
    assert first.status_code == again.status_code == 402
    assert first.headers["content-type"] == "application/problem+json"
    assert first.json()["code"] == "till.declined"
    assert again.content == first.content
    assert again.headers["idempotency-replayed"] == "true"


async def test_a_validation_error_is_stored_too(client: httpx.AsyncClient) -> None:
    first = await client.post("/v1/charges", json={"amount": "x"}, headers=_key("k1"))
    again = await client.post("/v1/charges", json={"amount": "x"}, headers=_key("k1"))
    assert first.status_code == 422
    assert first.json()["code"] == "validation_failed"
    assert again.content == first.content


async def test_answers_that_invite_a_retry_are_not_stored(
    client: httpx.AsyncClient, service: TillService, store: MemoryIdempotencyStore
) -> None:
    service.outage = 1
    body = {"amount": 5, "mode": "outage"}
    down = await client.post("/v1/charges", json=body, headers=_key("k1"))
    assert down.status_code == 503
    assert down.headers["retry-after"] == "1"
    assert store.entries == {}
    up = await client.post("/v1/charges", json=body, headers=_key("k1"))
    assert up.status_code == 201
    assert service.charges == [5]

    broken = {"amount": 7, "mode": "broken"}
    assert (await client.post("/v1/charges", json=broken, headers=_key("k2"))).status_code == 500
    assert (await client.post("/v1/charges", json=broken, headers=_key("k2"))).status_code == 500
    assert list(store.entries) == [(ANONYMOUS, "k1")]


async def test_an_expired_key_runs_again(
    client: httpx.AsyncClient, service: TillService, clock: Clock
) -> None:
    await client.post("/v1/charges", json={"amount": 5}, headers=_key("k1"))
    clock.now += 3599
    assert (await client.post("/v1/charges", json={"amount": 5}, headers=_key("k1"))).headers.get(
        "idempotency-replayed"
    ) == "true"
    clock.now += 2
    fresh = await client.post("/v1/charges", json={"amount": 9}, headers=_key("k1"))
    assert fresh.status_code == 201
    assert "idempotency-replayed" not in fresh.headers
    assert service.charges == [5, 9]


async def test_keys_are_scoped_per_client(
    client: httpx.AsyncClient, service: TillService, store: MemoryIdempotencyStore
) -> None:
    alice = await client.post(
        "/v1/charges", json={"amount": 5}, headers=_key("k1", **{"x-subject": "alice"})
    )
    bob = await client.post(
        "/v1/charges", json={"amount": 6}, headers=_key("k1", **{"x-subject": "bob"})
    )
    anonymous = await client.post("/v1/charges", json={"amount": 7}, headers=_key("k1"))
    assert [a.status_code for a in (alice, bob, anonymous)] == [201, 201, 201]
    assert service.charges == [5, 6, 7]
    assert sorted(store.entries) == [("alice", "k1"), (ANONYMOUS, "k1"), ("bob", "k1")]


async def test_a_request_cut_by_its_deadline_keeps_the_key_until_the_lease_ends(
    client: httpx.AsyncClient, service: TillService, clock: Clock
) -> None:
    service.slow = True
    body = {"amount": 5}
    cut = await client.post(
        "/v1/charges", json=body, headers=_key("k1", **{"accord-timeout": "50m"})
    )
    assert cut.status_code == 504
    assert cut.json()["code"] == "deadline_exceeded"
    service.slow = False
    assert (await client.post("/v1/charges", json=body, headers=_key("k1"))).status_code == 409
    clock.now += 2.0  # the lease: twice the operation's timeout of 1 s
    retried = await client.post("/v1/charges", json=body, headers=_key("k1"))
    assert retried.status_code == 201
    assert service.charges == [5]


async def test_a_crashed_holders_claim_is_taken_over_after_its_lease(
    store: MemoryIdempotencyStore,
) -> None:
    digest = fingerprint("POST", b"/v1/charges", b"", b"{}")
    first = await store.claim("s", "k", digest, now=100.0, lease=2.0, retention=60.0)
    assert isinstance(first, Claimed)
    assert isinstance(
        await store.claim("s", "k", digest, now=101.9, lease=2.0, retention=60.0), InFlight
    )
    other = fingerprint("POST", b"/v1/charges", b"", b"{ }")
    assert isinstance(
        await store.claim("s", "k", other, now=101.9, lease=2.0, retention=60.0), Mismatch
    )
    second = await store.claim("s", "k", digest, now=102.0, lease=2.0, retention=60.0)
    assert isinstance(second, Claimed)
    assert second.token != first.token
    answer = StoredResponse(201, b"application/json", (), b"{}")
    assert not await store.complete("s", "k", first.token, answer, expires=160.0)
    assert await store.complete("s", "k", second.token, answer, expires=160.0)
    assert await store.claim("s", "k", digest, now=103.0, lease=2.0, retention=60.0) == answer


async def test_operations_without_keys_and_keyless_requests_are_left_alone(
    client: httpx.AsyncClient, layer: IdempotencyLayer, service: TillService
) -> None:
    handler = service.look
    assert layer.wrap(Till.look, handler) is handler  # type: ignore[arg-type]
    missing = await client.post("/v1/charges", json={"amount": 5})
    assert missing.status_code == 400
    assert missing.json()["code"] == "idempotency_key_required"
    spaced = await client.post("/v1/charges", json={"amount": 5}, headers=_key("a b"))
    assert spaced.status_code == 400


async def test_expired_keys_are_purged_periodically(clock: Clock, service: TillService) -> None:
    store = MemoryIdempotencyStore()
    layer = IdempotencyLayer(store, retention=10, purge_every=60, clock=clock)
    app = App(Till, service, layers=[layer])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://till.test"
    ) as c:
        await c.post("/v1/charges", json={"amount": 1}, headers=_key("old"))
        clock.now += 61
        await c.post("/v1/charges", json={"amount": 2}, headers=_key("new"))
    assert list(store.entries) == [(ANONYMOUS, "new")]


def test_scope_and_fingerprint() -> None:
    assert scope_of(None) == ANONYMOUS
    assert scope_of(Subject.Principal("svc-orders")) == "svc-orders"
    assert scope_of("plain") == "plain"
    assert scope_of("x" * 300).startswith("sha256:")
    base = fingerprint("POST", b"/a", b"", b"{}")
    assert base == fingerprint("POST", b"/a", b"", b"{}")
    assert (
        len(
            {
                base,
                fingerprint("PUT", b"/a", b"", b"{}"),
                fingerprint("POST", b"/a", b"q", b"{}"),
                fingerprint("POST", b"/a{", b"", b"}"),
            }
        )
        == 4
    )


def test_the_retention_comes_from_the_environment() -> None:
    assert retention_from_env({}) == 24 * 3600
    assert retention_from_env({"ACCORD_IDEMPOTENCY_RETENTION": "600"}) == 600.0
    for bad in ("0", "-5", "soon", "inf", "nan"):
        with pytest.raises(ValueError, match="ACCORD_IDEMPOTENCY_RETENTION must be a positive"):
            retention_from_env({"ACCORD_IDEMPOTENCY_RETENTION": bad})


async def test_duplicates_arriving_together_reach_the_store_once(
    service: TillService, clock: Clock
) -> None:
    class Counting(MemoryIdempotencyStore):
        def __init__(self) -> None:
            super().__init__()
            self.claims = 0

        async def claim(self, *args: Any, **kwargs: Any) -> Any:
            self.claims += 1
            await asyncio.sleep(0.01)
            return await super().claim(*args, **kwargs)

    store = Counting()
    service.gate = asyncio.Event()
    app = App(Till, service, layers=[IdempotencyLayer(store, clock=clock)])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://till.test"
    ) as c:
        tasks = [
            asyncio.create_task(c.post("/v1/charges", json={"amount": 5}, headers=_key("k1")))
            for _ in range(50)
        ]
        await asyncio.sleep(0.05)
        other = await c.post("/v1/charges", json={"amount": 6}, headers=_key("k1"))
        service.gate.set()
        answers = await asyncio.gather(*tasks)
        replay = await c.post("/v1/charges", json={"amount": 5}, headers=_key("k1"))
    assert other.status_code == 422
    assert sorted({a.status_code for a in answers}) == [201, 409]
    assert [a.status_code for a in answers].count(201) == 1
    assert store.claims == 2  # the first request's and the replay's
    assert replay.headers["idempotency-replayed"] == "true"
    assert service.charges == [5]


class FailingStore(MemoryIdempotencyStore):
    """A store whose database is down for the methods named in ``failing``."""

    def __init__(self, *failing: str) -> None:
        super().__init__()
        self.failing = set(failing)

    async def claim(self, *args: Any, **kwargs: Any) -> Any:
        if "claim" in self.failing:
            raise OSError("database is down")
        return await super().claim(*args, **kwargs)

    async def complete(self, *args: Any, **kwargs: Any) -> bool:
        if "complete" in self.failing:
            raise OSError("database is down")
        return await super().complete(*args, **kwargs)

    async def release(self, *args: Any, **kwargs: Any) -> None:
        if "release" in self.failing:
            raise OSError("database is down")
        await super().release(*args, **kwargs)


async def test_a_store_that_cannot_claim_is_a_503_and_nothing_runs(service: TillService) -> None:
    store = FailingStore("claim")
    app = App(Till, service, layers=[IdempotencyLayer(store)])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://till.test"
    ) as c:
        down = await c.post("/v1/charges", json={"amount": 5}, headers=_key("k1"))
        store.failing.clear()
        up = await c.post("/v1/charges", json={"amount": 5}, headers=_key("k1"))
    assert down.status_code == 503
    assert down.json()["code"] == "unavailable"
    assert down.headers["retry-after"] == "1"
    assert up.status_code == 201
    assert service.charges == [5]


async def test_a_store_that_cannot_keep_the_answer_still_answers(
    service: TillService, clock: Clock
) -> None:
    store = FailingStore("complete", "release")
    app = App(Till, service, layers=[IdempotencyLayer(store, clock=clock)])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://till.test"
    ) as c:
        done = await c.post("/v1/charges", json={"amount": 5}, headers=_key("k1"))
        busy = await c.post("/v1/charges", json={"amount": 5}, headers=_key("k1"))
        broken = {"amount": 6, "mode": "broken"}
        failed = await c.post("/v1/charges", json=broken, headers=_key("k2"))
        held = await c.post("/v1/charges", json=broken, headers=_key("k2"))
    assert done.status_code == 201
    assert busy.status_code == 409  # the claim stays until its lease ends
    assert failed.status_code == 500
    assert held.status_code == 409
    assert service.charges == [5]


def test_the_layers_old_name_still_resolves_with_a_warning() -> None:
    from accord.runtime import idempotency

    with pytest.warns(DeprecationWarning, match="IdempotencyLayer"):
        assert idempotency.Idempotency is IdempotencyLayer
