"""Bulkheads: never more than the limit in flight, a short fair wait, then a typed refusal."""

from __future__ import annotations

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.errors import ClientError
from accord.resilience import Bulkhead, BulkheadConfig, BulkheadFull

pytestmark = pytest.mark.anyio


def test_bad_figures_are_refused() -> None:
    with pytest.raises(ValueError, match="max_concurrent_calls must be at least 1"):
        BulkheadConfig(max_concurrent_calls=0)
    with pytest.raises(ValueError, match="max_wait_duration must not be negative"):
        BulkheadConfig(max_wait_duration=-0.1)


def test_the_refusal_is_a_client_error_naming_the_downstream() -> None:
    err = BulkheadFull("inventory", 64)
    assert isinstance(err, ClientError)
    assert (err.downstream, err.max_concurrent_calls) == ("inventory", 64)
    assert str(err) == "64 calls to 'inventory' already in flight; not sent"


async def test_over_the_limit_a_call_waits_then_is_refused() -> None:
    bulkhead = Bulkhead("inventory", BulkheadConfig(max_concurrent_calls=2, max_wait_duration=0.05))
    await bulkhead.acquire()
    await bulkhead.acquire()
    assert bulkhead.in_flight == 2
    started = anyio.current_time()
    with pytest.raises(BulkheadFull):
        await bulkhead.acquire()
    assert 0.04 <= anyio.current_time() - started < 0.5
    with pytest.raises(BulkheadFull):
        await bulkhead.acquire(max_wait=0)
    bulkhead.release()
    await bulkhead.acquire(max_wait=0)
    assert bulkhead.in_flight == 2


async def test_a_freed_slot_goes_to_the_longest_waiter() -> None:
    bulkhead = Bulkhead("inventory", BulkheadConfig(max_concurrent_calls=1, max_wait_duration=1.0))
    await bulkhead.acquire()
    order: list[int] = []

    async def wait(n: int) -> None:
        await bulkhead.acquire()
        order.append(n)
        await anyio.sleep(0.01)
        bulkhead.release()

    async with anyio.create_task_group() as tg:
        for n in range(3):
            tg.start_soon(wait, n)
            await anyio.sleep(0.01)
        bulkhead.release()
    assert order == [0, 1, 2]
    assert bulkhead.in_flight == 0


async def test_a_cancelled_waiter_leaves_no_slot_behind() -> None:
    bulkhead = Bulkhead("inventory", BulkheadConfig(max_concurrent_calls=1, max_wait_duration=5.0))
    await bulkhead.acquire()
    with anyio.move_on_after(0.05):
        await bulkhead.acquire()
    assert "waiting=0" in repr(bulkhead)
    bulkhead.release()
    assert bulkhead.in_flight == 0


@settings(max_examples=25, deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=5),
    calls=st.lists(st.floats(min_value=0.0, max_value=0.004), min_size=1, max_size=20),
)
def test_in_flight_never_exceeds_the_limit_and_every_slot_comes_back(
    limit: int, calls: list[float]
) -> None:
    bulkhead = Bulkhead("x", BulkheadConfig(max_concurrent_calls=limit, max_wait_duration=0.002))
    peak = 0
    outcomes: list[str] = []

    async def call(seconds: float) -> None:
        nonlocal peak
        try:
            await bulkhead.acquire()
        except BulkheadFull:
            outcomes.append("shed")
            return
        try:
            peak = max(peak, bulkhead.in_flight)
            await anyio.sleep(seconds)
            outcomes.append("ok")
        finally:
            bulkhead.release()

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            for seconds in calls:
                tg.start_soon(call, seconds)

    anyio.run(main)
    assert peak <= limit
    assert len(outcomes) == len(calls)
    assert outcomes.count("ok") >= min(limit, len(calls))
    assert bulkhead.in_flight == 0
