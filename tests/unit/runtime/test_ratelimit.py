"""Token buckets per caller, and the layer that answers 429 with Retry-After."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import msgspec
import pytest

from accord import Contract, operation
from accord.errors import ContractError
from accord.runtime import App
from accord.runtime.ratelimit import Rate, RateLimit, TokenBuckets, parse_rate

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_refills_at_the_rate() -> None:
    clock = Clock()
    buckets = TokenBuckets(Rate(2, per=1.0, burst=3), clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert buckets.take("a") == 0.0
    assert buckets.take("a") == pytest.approx(0.5)
    assert buckets.take("b") == 0.0, "another caller has a bucket of its own"


def test_a_refused_request_takes_no_token() -> None:
    clock = Clock()
    buckets = TokenBuckets(Rate(1, per=10.0), clock=clock)
    assert buckets.take("a") == 0.0
    for _ in range(5):
        assert buckets.take("a") == pytest.approx(10.0)
    clock.now += 10.0
    assert buckets.take("a") == 0.0


def test_a_bucket_never_holds_more_than_its_burst() -> None:
    clock = Clock()
    buckets = TokenBuckets(Rate(1, per=1.0), clock=clock)
    buckets.take("a")
    clock.now += 3600.0
    assert buckets.take("a") == 0.0
    assert buckets.take("a") == pytest.approx(1.0)


def test_memory_is_bounded_least_recently_used_first() -> None:
    clock = Clock()
    buckets = TokenBuckets(Rate(1, per=60.0), max_keys=3, clock=clock)
    for key in ("a", "b", "c"):
        buckets.take(key)
    buckets.take("a")  # a is used again: b is now the oldest
    buckets.take("d")
    assert len(buckets) == 3
    assert buckets.take("a") > 0, "a was kept, and is still empty"
    assert buckets.take("b") == 0.0, "b was dropped and comes back full"
    for i in range(10_000):
        buckets.take(f"flood-{i}")
    assert len(buckets) == 3


def test_rates_and_sizes_are_checked() -> None:
    with pytest.raises(ContractError):
        Rate(0)
    with pytest.raises(ContractError):
        Rate(1, per=0)
    with pytest.raises(ContractError):
        Rate(1, burst=0)
    with pytest.raises(ContractError):
        TokenBuckets(Rate(1), max_keys=0)


class Login(msgspec.Struct):
    user: str


class Session(msgspec.Struct):
    user: str


class Accounts(Contract, name="accounts", version="1.0.0"):
    """Sign-in."""

    login = operation(Login, Session, method="POST")
    profile = operation(Login, Session, method="POST")


class AccountsService:
    async def login(self, request: Login) -> Session:
        return Session(user=request.user)

    async def profile(self, request: Login) -> Session:
        return Session(user=request.user)


@dataclass
class Caller:
    subject: str


class Authenticate:
    """Stands for an authentication layer: the principal named by a header."""

    def wrap(self, operation: object, handler: object) -> object:
        async def authenticated(request: object) -> object:
            who = request.header(b"x-who")  # type: ignore[attr-defined]
            if who is not None:
                request.principal = Caller(who.decode())  # type: ignore[attr-defined]
            return await handler(request)  # type: ignore[operator]

        return authenticated


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def client(clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    limit = RateLimit({"accounts.login": Rate(2, per=10.0)}, clock=clock)
    app = App(
        Accounts,
        AccountsService(),
        layers=[Authenticate(), limit],  # type: ignore[list-item]
        freeze_gc=False,
    )
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://a.test") as c:
        yield c


async def test_past_the_rate_is_429_with_retry_after(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    for _ in range(2):
        assert (await client.post("/v1/login", json={"user": "u"})).status_code == 200
    refused = await client.post("/v1/login", json={"user": "u"})
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "rate_limited"
    assert refused.headers["retry-after"] == "5"
    clock.now += 5.0
    assert (await client.post("/v1/login", json={"user": "u"})).status_code == 200


async def test_each_principal_has_its_own_bucket(client: httpx.AsyncClient) -> None:
    for _ in range(2):
        await client.post("/v1/login", json={"user": "u"}, headers={"x-who": "alice"})
    alice = await client.post("/v1/login", json={"user": "u"}, headers={"x-who": "alice"})
    bob = await client.post("/v1/login", json={"user": "u"}, headers={"x-who": "bob"})
    anonymous = await client.post("/v1/login", json={"user": "u"})
    assert (alice.status_code, bob.status_code, anonymous.status_code) == (429, 200, 200)


async def test_an_operation_not_named_is_not_limited(client: httpx.AsyncClient) -> None:
    statuses = {(await client.post("/v1/profile", json={"user": "u"})).status_code for _ in "xyzw"}
    assert statuses == {200}


def test_the_layer_leaves_unnamed_operations_untouched() -> None:
    async def handler(request: object) -> object:
        raise AssertionError

    limit = RateLimit({"login": Rate(1)})
    assert limit.wrap(Accounts.profile, handler) is handler
    assert limit.wrap(Accounts.login, handler) is not handler


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("10/1s", Rate(10, per=1.0)),
        ("10/s", Rate(10, per=1.0)),
        ("5/1m", Rate(5, per=60.0)),
        ("5/m:10", Rate(5, per=60.0, burst=10)),
        (" 100 / 2h : 3 ", Rate(100, per=7200.0, burst=3)),
        ("3/0.5", Rate(3, per=0.5)),
    ],
)
def test_rates_parse(text: str, rate: Rate) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["", "ten/s", "10", "10/1d", "0/1s", "10/1s:0", "10/0"])
def test_bad_rates_are_refused_with_their_text(text: str) -> None:
    with pytest.raises(ContractError):
        parse_rate(text)


def test_a_limit_parses_from_configuration() -> None:
    limit = RateLimit.parse("identity.login=5/1m, place_order=10/1s:20,")
    assert limit.rates == {
        "identity.login": Rate(5, per=60.0),
        "place_order": Rate(10, per=1.0, burst=20),
    }
    assert RateLimit.parse("").rates == {}
    with pytest.raises(ContractError, match="NAME=COUNT/PERIOD"):
        RateLimit.parse("login")


class AccountsV2(Contract, name="accounts", version="2.0.0"):
    """Sign-in, second edition."""

    login = operation(Login, Session, method="POST")


async def test_both_major_versions_share_one_allowance(clock: Clock) -> None:
    limit = RateLimit({"login": Rate(2, per=10.0)}, clock=clock)
    app = App(Accounts, AccountsService(), layers=[limit], freeze_gc=False)
    app.mount(AccountsV2, AccountsService())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://a.test") as c:
        first = await c.post("/v1/login", json={"user": "u"})
        second = await c.post("/v2/login", json={"user": "u"})
        third = await c.post("/v1/login", json={"user": "u"})
        fourth = await c.post("/v2/login", json={"user": "u"})
    statuses = [r.status_code for r in (first, second, third, fourth)]
    assert statuses == [200, 200, 429, 429]


@dataclass(frozen=True)
class Claims:
    subject: str
    scopes: frozenset[str]
    customer_id: str | None = None


class TokensAreSubjects:
    """A verifier whose tokens are the subjects' names (the real one checks signatures)."""

    async def verify(self, token: str) -> Claims:
        return Claims(subject=token, scopes=frozenset({"accounts:read"}), customer_id=token)


class Guarded(Contract, name="guarded", version="1.0.0"):
    """An operation behind a scope."""

    profile = operation(Login, Session, method="POST", scopes=("accounts:read",))


async def test_behind_authentication_the_limit_counts_each_subject(clock: Clock) -> None:
    from accord.runtime import Authentication

    auth = Authentication(TokensAreSubjects(), realm="guarded")
    limit = RateLimit({"guarded.profile": Rate(1, per=60.0)}, clock=clock)
    app = App(Guarded, AccountsService(), layers=[auth, limit], freeze_gc=False)
    transport = httpx.ASGITransport(app=app)  # every caller from the same address
    async with httpx.AsyncClient(transport=transport, base_url="http://g.test") as c:

        async def call(who: str | None) -> int:
            headers = {"authorization": f"Bearer {who}"} if who else {}
            response = await c.post("/v1/profile", json={"user": "u"}, headers=headers)
            return response.status_code

        assert [await call("alice"), await call("alice")] == [200, 429]
        assert await call("bob") == 200, "bob has a bucket of his own at the same address"
        assert await call(None) == 401, "no token: refused before the limit counts it"
