"""Per-account login delays: growing, capped, forgotten on success."""

from __future__ import annotations

import pytest

from shop.identity.domain.throttle import LoginDelays


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_free_attempts_pass_then_each_attempt_doubles_the_wait_up_to_the_cap() -> None:
    clock = Clock()
    delays = LoginDelays(free_attempts=3, first_delay=1.0, max_delay=8.0, clock=clock)
    assert [delays.attempt("ada") for _ in range(3)] == [0.0, 0.0, 0.0]
    waits = []
    for _ in range(6):
        wait = delays.attempt("ada")
        assert wait > 0, "refused while it must wait"
        waits.append(wait)
        clock.now += wait
        assert delays.attempt("ada") == 0.0  # allowed once the wait is over, and counted
    assert waits == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_an_early_attempt_is_refused_without_lengthening_the_wait() -> None:
    clock = Clock()
    delays = LoginDelays(free_attempts=1, first_delay=2.0, max_delay=30.0, clock=clock)
    assert delays.attempt("ada") == 0.0
    for _ in range(50):  # a customer (or an attacker) hammering during the wait
        clock.now += 0.01
        assert delays.attempt("ada") > 0
    clock.now += 2.0
    assert delays.attempt("ada") == 0.0


def test_a_success_forgets_the_account_and_other_accounts_are_apart() -> None:
    clock = Clock()
    delays = LoginDelays(free_attempts=2, clock=clock)
    delays.attempt("ada")
    delays.attempt("ada")
    assert delays.attempt("ada") > 0
    assert delays.attempt("bob") == 0.0
    delays.succeeded("ada")
    assert delays.attempt("ada") == 0.0


def test_an_idle_account_is_forgotten() -> None:
    clock = Clock()
    delays = LoginDelays(free_attempts=1, max_delay=30.0, forget_after=60.0, clock=clock)
    for _ in range(3):
        delays.attempt("ada")
        clock.now += 30.0
    clock.now += 61.0
    assert delays.attempt("ada") == 0.0
    clock.now += 0.5
    assert delays.attempt("ada") == pytest.approx(0.5)  # counting starts again at one


def test_memory_is_bounded_the_longest_idle_dropped_first() -> None:
    clock = Clock()
    delays = LoginDelays(free_attempts=1, max_accounts=3, clock=clock)
    delays.attempt("ada")
    for name in ("b", "c", "d"):
        delays.attempt(name)
    assert delays.attempt("ada") == 0.0  # pushed out, so it starts again


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="wrong"):
        LoginDelays(first_delay=10.0, max_delay=1.0)
