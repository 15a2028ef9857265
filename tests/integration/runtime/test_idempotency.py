"""The SQL idempotency store on real databases: once on SQLite, once on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from accord.runtime.idempotency import (
    Claimed,
    InFlight,
    MemoryIdempotencyStore,
    Mismatch,
    StoredResponse,
    fingerprint,
)
from accord.sql import SqlIdempotencyStore, create_engine, idempotency_table

pytestmark = pytest.mark.anyio

TABLE = "test_idempotency_keys"
A = fingerprint("POST", b"/v1/charges", b"", b'{"amount":5}')
B = fingerprint("POST", b"/v1/charges", b"", b'{"amount":6}')
ANSWER = StoredResponse(
    201,
    b"application/json",
    ((b"deprecation", b"@1796083200"), (b"link", b'</v2>; rel="successor-version"')),
    b'{"charge_id":1,"amount":5}\x00\xff',
)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    metadata = sa.MetaData()
    idempotency_table(TABLE, metadata)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def store(engine: AsyncEngine) -> SqlIdempotencyStore:
    return SqlIdempotencyStore(engine, TABLE)


async def _claim(
    store: SqlIdempotencyStore, digest: str = A, now: float = 100.0, key: str = "k"
) -> object:
    return await store.claim("alice", key, digest, now=now, lease=2.0, retention=60.0)


async def test_claim_complete_and_replay(store: SqlIdempotencyStore) -> None:
    claimed = await _claim(store)
    assert isinstance(claimed, Claimed)
    assert isinstance(await _claim(store, now=100.5), InFlight)
    assert isinstance(await _claim(store, B, now=100.5), Mismatch)
    assert await store.complete("alice", "k", claimed.token, ANSWER, expires=160.0)
    assert await _claim(store, now=101.0) == ANSWER
    assert isinstance(await _claim(store, B, now=101.0), Mismatch)
    assert isinstance(
        await store.claim("bob", "k", A, now=101.0, lease=2.0, retention=60.0), Claimed
    )


async def test_a_lapsed_lease_is_taken_over_and_the_old_holder_loses(
    store: SqlIdempotencyStore,
) -> None:
    first = await _claim(store)
    assert isinstance(first, Claimed)
    second = await _claim(store, now=102.0)
    assert isinstance(second, Claimed)
    assert second.token != first.token
    assert not await store.complete("alice", "k", first.token, ANSWER, expires=160.0)
    assert await store.complete("alice", "k", second.token, ANSWER, expires=160.0)


async def test_an_expired_answer_frees_the_key(store: SqlIdempotencyStore) -> None:
    claimed = await _claim(store)
    assert isinstance(claimed, Claimed)
    await store.complete("alice", "k", claimed.token, ANSWER, expires=160.0)
    assert await _claim(store, now=159.9) == ANSWER
    again = await _claim(store, B, now=160.0)
    assert isinstance(again, Claimed)
    assert isinstance(await _claim(store, B, now=160.5), InFlight)


async def test_release_frees_an_unanswered_claim_only(store: SqlIdempotencyStore) -> None:
    claimed = await _claim(store)
    assert isinstance(claimed, Claimed)
    await store.release("alice", "k", "not-the-token")
    assert isinstance(await _claim(store, now=100.1), InFlight)
    await store.release("alice", "k", claimed.token)
    fresh = await _claim(store, now=100.2)
    assert isinstance(fresh, Claimed)
    await store.complete("alice", "k", fresh.token, ANSWER, expires=160.0)
    await store.release("alice", "k", fresh.token)
    assert await _claim(store, now=100.3) == ANSWER


async def test_purge_deletes_expired_keys(store: SqlIdempotencyStore, engine: AsyncEngine) -> None:
    for key, now in (("old", 10.0), ("new", 100.0)):
        claimed = await _claim(store, now=now, key=key)
        assert isinstance(claimed, Claimed)
    assert await store.purge(80.0) == 1
    async with engine.connect() as conn:
        keys = (await conn.execute(sa.text(f"SELECT key FROM {TABLE}"))).scalars().all()
    assert keys == ["new"]


async def test_concurrent_claims_of_one_key_give_exactly_one_claim(
    store: SqlIdempotencyStore,
) -> None:
    outcomes = await asyncio.gather(*(_claim(store) for _ in range(100)))
    claims = [o for o in outcomes if isinstance(o, Claimed)]
    assert len(claims) == 1
    assert all(isinstance(o, InFlight) for o in outcomes if o is not claims[0])


# Any run of claims, answers, releases, purges and passing time: the SQL store answers
# exactly as the in-memory one does (the in-memory one being the model).
_STEP = st.one_of(
    st.tuples(st.just("claim"), st.sampled_from(["k1", "k2"]), st.sampled_from([A, B])),
    st.tuples(st.just("complete"), st.integers(0, 7)),
    st.tuples(st.just("release"), st.integers(0, 7)),
    st.tuples(st.just("wait"), st.sampled_from([0.5, 1.5, 3.0, 18.0, 30.0])),
    st.tuples(st.just("purge")),
)


def _kind(outcome: object) -> object:
    if isinstance(outcome, StoredResponse):
        return ("stored", outcome.body)
    return type(outcome).__name__


async def _replay(steps: list[tuple[object, ...]], url: str) -> None:
    engine = create_engine(url)
    try:
        metadata = sa.MetaData()
        idempotency_table(TABLE, metadata)
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
            await conn.run_sync(metadata.create_all)
        sql, memory = SqlIdempotencyStore(engine, TABLE), MemoryIdempotencyStore()
        claims: list[tuple[str, str, str]] = []  # key, sql token, memory token
        now = 1000.0
        for step in steps:
            if step[0] == "claim":
                key, digest = str(step[1]), str(step[2])
                got = await sql.claim("s", key, digest, now=now, lease=2.0, retention=20.0)
                want = await memory.claim("s", key, digest, now=now, lease=2.0, retention=20.0)
                assert _kind(got) == _kind(want), step
                if isinstance(got, Claimed) and isinstance(want, Claimed):
                    claims.append((key, got.token, want.token))
            elif step[0] in ("complete", "release") and claims:
                key, sql_token, memory_token = claims[int(step[1]) % len(claims)]
                if step[0] == "complete":
                    answer = StoredResponse(201, b"application/json", (), f"{now}".encode())
                    done = await sql.complete("s", key, sql_token, answer, expires=now + 20.0)
                    assert done == await memory.complete(
                        "s", key, memory_token, answer, expires=now + 20.0
                    ), step
                else:
                    await sql.release("s", key, sql_token)
                    await memory.release("s", key, memory_token)
            elif step[0] == "wait":
                now += float(step[1])  # type: ignore[arg-type]
            elif step[0] == "purge":
                assert await sql.purge(now) == await memory.purge(now), step
    finally:
        await engine.dispose()


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(_STEP, max_size=25))
@example(  # a lapsed lease taken over also renews the retention
    steps=[("claim", "k1", A), ("wait", 3.0), ("claim", "k1", A), ("wait", 18.0), ("purge",)]
)
def test_the_sql_store_behaves_as_the_model(
    steps: list[tuple[object, ...]], database_url: str
) -> None:
    """On SQLite and on PostgreSQL; each example starts from a freshly created table."""
    asyncio.run(_replay(steps, database_url))
