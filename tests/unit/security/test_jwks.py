"""The key set: lookups by kid, refreshes throttled to one per 10 s, the cache outliving
the endpoint, on a hand-driven clock."""

from __future__ import annotations

import json

import anyio
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.security import InvalidToken, KeySet, VerificationKey, Verifier, public_jwk

ISSUER, AUDIENCE, NOW = "https://identity.test", "shop", 1_800_000_000


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Endpoint:
    """A JWKS endpoint that can be rotated and taken down; it counts its calls."""

    def __init__(self) -> None:
        self.keys: dict[str, ed25519.Ed25519PrivateKey] = {}
        self.down = False
        self.calls = 0

    def add(self, kid: str) -> ed25519.Ed25519PrivateKey:
        self.keys[kid] = ed25519.Ed25519PrivateKey.generate()
        return self.keys[kid]

    async def fetch(self) -> bytes:
        self.calls += 1
        if self.down:
            raise httpx.ConnectError("connection refused")
        return json.dumps(
            {"keys": [public_jwk(kid, k.public_key()) for kid, k in self.keys.items()]}
        ).encode()

    def token(self, kid: str) -> str:
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "s", "exp": NOW + 900}
        return jwt.encode(
            claims, self.keys[kid], algorithm="EdDSA", headers={"kid": kid, "typ": "at+jwt"}
        )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def endpoint() -> Endpoint:
    return Endpoint()


def verifier(keys: KeySet) -> Verifier:
    return Verifier(keys, issuer=ISSUER, audience=AUDIENCE, clock=lambda: NOW)


@pytest.mark.anyio
async def test_keys_are_fetched_lazily_and_cached(clock: Clock, endpoint: Endpoint) -> None:
    endpoint.add("k1")
    keys = KeySet(fetch=endpoint.fetch, clock=clock)
    assert endpoint.calls == 0
    v = verifier(keys)
    for _ in range(5):
        await v.verify(endpoint.token("k1"))
    assert endpoint.calls == 1 and keys.fetches == 1 and keys.kids == {"k1"}


@pytest.mark.anyio
async def test_unknown_kid_refreshes_at_most_once_per_10_seconds(
    clock: Clock, endpoint: Endpoint
) -> None:
    endpoint.add("k1")
    keys = KeySet(fetch=endpoint.fetch, clock=clock)
    v = verifier(keys)
    await v.verify(endpoint.token("k1"))
    forged = jwt.encode({"sub": "x"}, ed25519.Ed25519PrivateKey.generate(), algorithm="EdDSA",
                        headers={"kid": "nope", "typ": "at+jwt"})  # fmt: skip
    for _ in range(50):
        with pytest.raises(InvalidToken, match="unknown key"):
            await v.verify(forged)
    assert endpoint.calls == 1  # the fetch at t=100 still counts for the unknown kid
    clock.now += 10
    with pytest.raises(InvalidToken, match="unknown key"):
        await v.verify(forged)
    with pytest.raises(InvalidToken, match="unknown key"):
        await v.verify(forged)
    assert endpoint.calls == 2


@pytest.mark.anyio
async def test_a_new_key_is_picked_up_after_the_throttle(clock: Clock, endpoint: Endpoint) -> None:
    endpoint.add("k1")
    keys = KeySet(fetch=endpoint.fetch, clock=clock)
    v = verifier(keys)
    await v.verify(endpoint.token("k1"))
    endpoint.add("k2")
    clock.now += 3
    with pytest.raises(InvalidToken, match="unknown key"):
        await v.verify(endpoint.token("k2"))  # within 10 s of the last fetch
    clock.now += 7
    assert (await v.verify(endpoint.token("k2"))).subject == "s"
    assert (await v.verify(endpoint.token("k1"))).subject == "s"
    assert endpoint.calls == 2


@pytest.mark.anyio
async def test_the_cache_keeps_working_while_the_endpoint_is_down(
    clock: Clock, endpoint: Endpoint, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint.add("k1")
    keys = KeySet(fetch=endpoint.fetch, clock=clock, max_age=60)
    v = verifier(keys)
    await v.verify(endpoint.token("k1"))
    endpoint.down = True
    for _ in range(20):
        clock.now += 30  # past max_age: every lookup may try again, throttled
        assert (await v.verify(endpoint.token("k1"))).subject == "s"
    assert keys.failures >= 1 and keys.kids == {"k1"}
    assert "key set refresh failed; keeping 1 cached keys: ConnectError" in caplog.text
    assert endpoint.calls <= 1 + 20 * 30 // 10


@pytest.mark.anyio
async def test_a_stale_set_refreshes_and_drops_retired_keys(
    clock: Clock, endpoint: Endpoint
) -> None:
    endpoint.add("k1")
    keys = KeySet(fetch=endpoint.fetch, clock=clock, max_age=300)
    v = verifier(keys)
    old = endpoint.token("k1")
    await v.verify(old)
    del endpoint.keys["k1"]
    endpoint.add("k2")
    clock.now += 299
    await v.verify(old)
    assert endpoint.calls == 1
    clock.now += 1
    with pytest.raises(InvalidToken, match="unknown key"):
        await v.verify(old)
    assert keys.kids == {"k2"}


@pytest.mark.anyio
async def test_a_broken_document_keeps_the_old_keys(clock: Clock, endpoint: Endpoint) -> None:
    endpoint.add("k1")
    bodies = [b'{"keys": []', b"[]", b'{"keys": "no"}']
    keys = KeySet(fetch=endpoint.fetch, clock=clock)
    assert await keys.refresh()
    for body in bodies:

        async def broken(body: bytes = body) -> bytes:
            return body

        keys._fetch = broken
        clock.now += 10
        assert not await keys.refresh()
    assert keys.kids == {"k1"} and keys.failures == 3


@pytest.mark.anyio
async def test_from_url_fetches_only_its_url_with_no_redirects(clock: Clock) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/moved":
            return httpx.Response(302, headers={"location": "http://elsewhere.test/jwks.json"})
        return httpx.Response(200, json={"keys": [public_jwk("k", key.public_key())]})

    transport = httpx.MockTransport(handler)
    good = KeySet.from_url("http://idp.test/jwks.json", transport=transport, clock=clock)
    assert await good.get("k") is not None
    moved = KeySet.from_url("http://idp.test/moved", transport=transport, clock=clock)
    assert await moved.get("k") is None and moved.failures == 1
    assert seen == ["http://idp.test/jwks.json", "http://idp.test/moved"]


@pytest.mark.anyio
async def test_from_url_refuses_an_oversized_document(clock: Clock) -> None:
    huge = b'{"keys": [' + b" " * 70_000 + b"]}"
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=huge))
    keys = KeySet.from_url("http://idp.test/jwks.json", transport=transport, clock=clock)
    assert not await keys.refresh() and keys.failures == 1


def test_a_static_set_never_fetches() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    keys = KeySet.static({"keys": [public_jwk("k", key.public_key()), {"kty": "oct"}]})
    assert keys.kids == {"k"} and keys.fetches == 0


@pytest.mark.anyio
async def test_a_refresh_keeps_unchanged_keys_as_they_were(
    clock: Clock, endpoint: Endpoint
) -> None:
    endpoint.add("k1")
    keys = KeySet(fetch=endpoint.fetch, clock=clock)
    await keys.refresh()
    before = await keys.get("k1")
    endpoint.add("k2")
    clock.now += 10
    assert await keys.refresh()
    assert await keys.get("k1") is before and keys.kids == {"k1", "k2"}


jwk_values = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=60)
    | st.lists(st.text(max_size=8), max_size=3)
)


@given(
    st.dictionaries(
        st.sampled_from(["kty", "crv", "x", "y", "d", "kid", "alg", "use", "key_ops", "k", "n"]),
        jwk_values | st.sampled_from(["OKP", "EC", "oct", "RSA", "Ed25519", "P-256", "sig"]),
        max_size=9,
    )
)
@settings(max_examples=400, deadline=None)
def test_any_jwk_is_a_key_or_nothing_never_an_error(jwk: dict[str, object]) -> None:
    key = VerificationKey.from_jwk(jwk)
    assert key is None or key.algorithm in {"EdDSA", "ES256"}


@given(st.binary(max_size=300))
@settings(max_examples=200, deadline=None)
def test_any_fetched_document_keeps_or_replaces_the_keys(body: bytes) -> None:
    import anyio

    async def fetch() -> bytes:
        return body

    async def check() -> None:
        keys = KeySet(fetch=fetch)
        await keys.refresh()
        assert keys.fetches == 1 and keys.failures in {0, 1}

    anyio.run(check)


@pytest.mark.anyio
async def test_lookups_during_the_first_fetch_wait_for_it(clock: Clock, endpoint: Endpoint) -> None:
    endpoint.add("k1")
    release = anyio.Event()

    async def slow_fetch() -> bytes:
        await release.wait()
        return await endpoint.fetch()

    keys = KeySet(fetch=slow_fetch, clock=clock)
    found: list[VerificationKey | None] = []

    async def lookup() -> None:
        found.append(await keys.get("k1"))

    async with anyio.create_task_group() as tasks:
        for _ in range(5):
            tasks.start_soon(lookup)
        await anyio.wait_all_tasks_blocked()
        release.set()
    assert len(found) == 5 and all(key is not None for key in found)
    assert endpoint.calls == 1
