"""Circuit breaker: the closed / open / half-open state machine on a hand-driven clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.errors import ClientError
from accord.resilience.breaker import (
    BreakerConfig,
    BreakerOpen,
    BreakerState,
    CircuitBreaker,
    StateChange,
)

from .conftest import FakeClock

CLOSED, OPEN, HALF_OPEN = BreakerState.CLOSED, BreakerState.OPEN, BreakerState.HALF_OPEN

CONFIG = BreakerConfig(
    failure_rate_threshold=50,
    slow_call_rate_threshold=80,
    slow_call_duration_threshold=1.0,
    minimum_number_of_calls=4,
    sliding_window_size=10,
    wait_duration_in_open_state=5.0,
    permitted_number_of_calls_in_half_open_state=2,
)


def make(
    clock: FakeClock, config: BreakerConfig = CONFIG
) -> tuple[CircuitBreaker, list[StateChange]]:
    changes: list[StateChange] = []
    return CircuitBreaker("inventory", config, clock=clock, listeners=(changes.append,)), changes


def call(
    breaker: CircuitBreaker,
    *,
    fail: bool = False,
    clock: FakeClock | None = None,
    took: float = 0.0,
) -> None:
    permit = breaker.acquire()
    if clock is not None:
        clock.advance(took)
    if fail:
        permit.failure()
    else:
        permit.success()


def trip(breaker: CircuitBreaker) -> None:
    for _ in range(4):
        call(breaker, fail=True)


def test_it_trips_at_the_failure_rate_once_the_minimum_calls_are_in(clock: FakeClock) -> None:
    breaker, changes = make(clock)
    call(breaker, fail=True)
    call(breaker, fail=True)
    call(breaker, fail=True)
    assert breaker.state is CLOSED  # 3 calls: under the minimum of 4, however bad
    call(breaker)
    assert breaker.state is OPEN  # 3 of 4 failed: 75% >= 50%
    assert changes == [StateChange("inventory", CLOSED, OPEN)]


def test_it_stays_closed_under_the_failure_rate(clock: FakeClock) -> None:
    breaker, changes = make(clock)
    for fail in [True, False, False, False, True, False, False, False, False, False]:
        call(breaker, fail=fail)
    assert breaker.state is CLOSED  # never 50% once 4 calls are in
    assert changes == []


def test_only_the_last_window_of_calls_counts(clock: FakeClock) -> None:
    breaker, _ = make(clock)
    for _ in range(10):
        call(breaker)
    for _ in range(4):
        call(breaker, fail=True)
    assert breaker.state is CLOSED  # 4 of the last 10
    call(breaker, fail=True)
    assert breaker.state is OPEN  # 5 of the last 10: 50%


def test_slow_calls_trip_it_too(clock: FakeClock) -> None:
    breaker, _ = make(clock)
    call(breaker, clock=clock, took=1.0)
    call(breaker, clock=clock, took=2.5)
    call(breaker, clock=clock, took=0.999)
    call(breaker, clock=clock, took=1.2)
    assert breaker.state is CLOSED  # 3 of 4 slow: 75% < 80%
    call(breaker, clock=clock, took=3)
    assert breaker.state is OPEN  # 4 of 5 slow: 80%


def test_an_open_breaker_fails_fast_with_a_typed_error(clock: FakeClock) -> None:
    breaker, _ = make(clock)
    trip(breaker)
    clock.advance(2.0)
    with pytest.raises(BreakerOpen) as caught:
        breaker.acquire()
    assert isinstance(caught.value, ClientError)
    assert caught.value.downstream == "inventory"
    assert caught.value.retry_after == pytest.approx(3.0)
    assert str(caught.value) == "circuit breaker for 'inventory' is open; retry in 3.000 s"


def test_an_open_breaker_refuses_every_call_and_stays_open(clock: FakeClock) -> None:
    """How fast it refuses is measured by bench/breaker.py; here, that it does, each time."""
    breaker, changes = make(clock)
    trip(breaker)
    seen = len(changes)
    for _ in range(1000):
        with pytest.raises(BreakerOpen):
            breaker.acquire()
    assert breaker.state is OPEN
    assert len(changes) == seen  # refusals are not state changes


def test_after_the_wait_it_lets_the_permitted_trials_through_and_closes(clock: FakeClock) -> None:
    breaker, changes = make(clock)
    trip(breaker)
    clock.advance(4.999)
    assert breaker.state is OPEN
    clock.advance(0.001)
    assert breaker.state is HALF_OPEN
    first, second = breaker.acquire(), breaker.acquire()
    with pytest.raises(BreakerOpen) as caught:
        breaker.acquire()
    assert caught.value.retry_after == 0.0
    first.success()
    assert breaker.state is HALF_OPEN
    second.success()
    assert breaker.state is CLOSED
    assert [(c.previous, c.current) for c in changes] == [
        (CLOSED, OPEN),
        (OPEN, HALF_OPEN),
        (HALF_OPEN, CLOSED),
    ]
    call(breaker, fail=True)
    assert breaker.state is CLOSED  # a fresh window: one failure is under the minimum


def test_failed_trials_open_it_again_for_another_wait(clock: FakeClock) -> None:
    breaker, changes = make(clock)
    trip(breaker)
    clock.advance(5)
    call(breaker)
    call(breaker, fail=True)  # 1 of 2 trials failed: 50%
    assert breaker.state is OPEN
    clock.advance(4)
    with pytest.raises(BreakerOpen):
        breaker.acquire()
    clock.advance(1)
    assert breaker.state is HALF_OPEN
    assert [c.current for c in changes] == [OPEN, HALF_OPEN, OPEN, HALF_OPEN]


def test_a_released_trial_frees_its_slot(clock: FakeClock) -> None:
    breaker, _ = make(clock)
    trip(breaker)
    clock.advance(5)
    first = breaker.acquire()
    breaker.acquire()
    first.release()
    breaker.acquire()
    with pytest.raises(BreakerOpen):
        breaker.acquire()


def test_a_permit_counts_once(clock: FakeClock) -> None:
    breaker, _ = make(clock)
    permit = breaker.acquire()
    for _ in range(5):
        permit.failure()
    assert breaker.state is CLOSED
    for _ in range(3):
        call(breaker)
    assert breaker.state is CLOSED  # 1 of 4 failed, not 5 of 8


def test_stragglers_from_an_earlier_state_are_not_counted(clock: FakeClock) -> None:
    breaker, _ = make(clock)
    straggler = breaker.acquire()
    trip(breaker)
    clock.advance(5)
    trial = breaker.acquire()
    straggler.failure()  # admitted while closed: says nothing about the trial
    trial.success()
    assert breaker.state is HALF_OPEN
    call(breaker)
    assert breaker.state is CLOSED


def test_listeners_added_later_hear_later_changes(clock: FakeClock) -> None:
    breaker, _ = make(clock)
    heard: list[BreakerState] = []
    breaker.on_state_change(lambda change: heard.append(change.current))
    trip(breaker)
    assert heard == [OPEN]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"failure_rate_threshold": 0}, r"failure_rate_threshold must be in \(0, 100\]"),
        ({"slow_call_rate_threshold": 101}, r"slow_call_rate_threshold must be in"),
        ({"minimum_number_of_calls": 0}, "minimum_number_of_calls must be at least 1"),
        ({"sliding_window_size": 0}, "sliding_window_size must be at least 1"),
        ({"permitted_number_of_calls_in_half_open_state": 0}, "permitted_number_of_calls"),
        ({"wait_duration_in_open_state": -1}, "wait_duration_in_open_state must not be"),
        ({"slow_call_duration_threshold": -1}, "slow_call_duration_threshold must not be"),
    ],
)
def test_bad_parameters_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BreakerConfig(**kwargs)  # type: ignore[arg-type]


def test_a_minimum_above_the_window_size_is_capped_at_it(clock: FakeClock) -> None:
    config = BreakerConfig(minimum_number_of_calls=50, sliding_window_size=3)
    breaker, _ = make(clock, config)
    for _ in range(3):
        call(breaker, fail=True)
    assert breaker.state is OPEN


# One step of a random workload: acquire, settle (fail/succeed/release) or let time pass.
steps = st.lists(
    st.one_of(
        st.tuples(st.just("acquire"), st.just(0)),
        st.tuples(st.sampled_from(["success", "failure", "release"]), st.integers(0, 20)),
        st.tuples(st.just("wait"), st.integers(0, 7)),
    ),
    max_size=200,
)


@given(steps, st.integers(min_value=1, max_value=5))
def test_half_open_never_lets_more_than_the_permitted_trials_through(
    workload: list[tuple[str, int]], permitted: int
) -> None:
    clock = FakeClock()
    config = BreakerConfig(
        minimum_number_of_calls=2,
        sliding_window_size=4,
        wait_duration_in_open_state=5,
        permitted_number_of_calls_in_half_open_state=permitted,
    )
    breaker = CircuitBreaker("inventory", config, clock=clock)
    outstanding: list[tuple[object, int]] = []  # (permit, epoch it was admitted in)
    trials_admitted = 0
    epoch = 0

    def on_change(change: StateChange) -> None:
        nonlocal trials_admitted, epoch
        trials_admitted = 0
        epoch += 1

    breaker.on_state_change(on_change)
    # Start at the interesting part: tripped, and the wait over.
    call(breaker, fail=True)
    call(breaker, fail=True)
    clock.advance(5)
    for action, index in workload:
        if action == "acquire":
            was_open = breaker.state is OPEN
            try:
                permit = breaker.acquire()
            except BreakerOpen:
                continue
            assert not was_open
            if breaker.state is HALF_OPEN:
                trials_admitted += 1
                assert trials_admitted <= permitted
            outstanding.append((permit, epoch))
        elif action == "wait":
            clock.advance(index)
        elif outstanding:
            permit, admitted_in = outstanding.pop(index % len(outstanding))
            if action == "release" and breaker.state is HALF_OPEN and admitted_in == epoch:
                trials_admitted -= 1  # a trial that was not made frees its slot
            getattr(permit, action)()
