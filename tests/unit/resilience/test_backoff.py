"""Backoff: full-jitter windows, the attempt cap and Retry-After as a floor."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.resilience.backoff import Backoff, parse_retry_after


def highest(low: float, high: float) -> float:
    """A jitter that always draws the top of the window."""
    return high


def lowest(low: float, high: float) -> float:
    """A jitter that always draws the bottom of the window."""
    return low


def test_windows_double_from_base_until_the_cap() -> None:
    backoff = Backoff(base=0.1, cap=1.0, jitter=highest)
    assert [backoff.window(n) for n in range(6)] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])
    assert [backoff.delay(n) for n in range(6)] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])
    assert backoff.window(10_000) == 1.0


def test_the_delay_is_drawn_over_the_whole_window() -> None:
    seen: list[tuple[float, float]] = []

    def record(low: float, high: float) -> float:
        seen.append((low, high))
        return (low + high) / 2

    backoff = Backoff(base=0.5, cap=3.0, jitter=record)
    assert backoff.delay(2) == 1.0
    assert seen == [(0.0, 2.0)]


def test_retry_after_is_a_floor_even_above_the_cap() -> None:
    backoff = Backoff(base=0.1, cap=1.0, jitter=lowest)
    assert backoff.delay(0, retry_after=0.3) == 0.3
    assert backoff.delay(0, retry_after=30.0) == 30.0
    assert Backoff(base=0.1, cap=1.0, jitter=highest).delay(3, retry_after=0.05) == 0.8


def test_max_attempts_counts_the_original_call() -> None:
    backoff = Backoff(max_attempts=3)
    assert [backoff.allows(n) for n in (1, 2, 3, 4)] == [True, True, False, False]
    assert not Backoff(max_attempts=1).allows(1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"base": 0}, "base must be positive"),
        ({"base": 1.0, "cap": 0.5}, "cap .* must be at least base"),
        ({"max_attempts": 0}, "max_attempts must be at least 1"),
    ],
)
def test_bad_parameters_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Backoff(**kwargs)  # type: ignore[arg-type]


def test_a_negative_retry_number_is_refused() -> None:
    with pytest.raises(ValueError, match="retry must be 0 or more"):
        Backoff().window(-1)


@given(
    base=st.floats(min_value=1e-4, max_value=10),
    extra=st.floats(min_value=0, max_value=100),
    retry=st.integers(min_value=0, max_value=5000),
    retry_after=st.one_of(st.none(), st.floats(min_value=0, max_value=1000)),
    seed=st.randoms(use_true_random=False),
)
def test_every_delay_lies_in_its_window_or_at_retry_after(
    base: float, extra: float, retry: int, retry_after: float | None, seed: random.Random
) -> None:
    backoff = Backoff(base=base, cap=base + extra, jitter=seed.uniform)
    delay = backoff.delay(retry, retry_after=retry_after)
    window = min(backoff.cap, base * 2.0 ** min(retry, 1000))
    floor = retry_after or 0.0
    assert floor <= delay <= max(window, floor)
    assert delay <= backoff.cap or delay == floor


def test_retry_after_in_seconds() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 0 ") == 0.0


def test_retry_after_as_an_http_date() -> None:
    when = datetime(2026, 11, 27, 9, 0, 0, tzinfo=UTC)
    header = format_datetime(when, usegmt=True)
    assert header == "Fri, 27 Nov 2026 09:00:00 GMT"
    assert parse_retry_after(header, now=lambda: when.timestamp() - 42) == 42.0
    assert parse_retry_after(header, now=lambda: when.timestamp() + 5) == 0.0


@pytest.mark.parametrize("value", ["", "soon", "-5", "1.5", "Fri, 99 Nov 2026", "\u0661\u0662"])
def test_a_malformed_retry_after_is_ignored(value: str) -> None:
    assert parse_retry_after(value) is None
