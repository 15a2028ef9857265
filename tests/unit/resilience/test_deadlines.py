"""Deadlines: arithmetic on a hand-driven clock, and the Accord-Timeout codec."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.resilience.deadlines import Deadline, encode_timeout, parse_timeout

from .conftest import FakeClock


def test_remaining_counts_down_and_stops_at_zero(clock: FakeClock) -> None:
    deadline = Deadline.after(2.0, clock=clock)
    assert deadline.remaining() == 2.0
    assert not deadline.expired
    clock.advance(0.5)
    assert deadline.remaining() == 1.5
    clock.advance(1.5)
    assert deadline.remaining() == 0.0
    assert deadline.expired
    clock.advance(10)
    assert deadline.remaining() == 0.0


def test_clamp_cuts_a_hop_timeout_to_what_remains(clock: FakeClock) -> None:
    deadline = Deadline.after(2.0, clock=clock)
    assert deadline.clamp(5.0) == 2.0
    assert deadline.clamp(0.25) == 0.25
    assert deadline.clamp(None) == 2.0
    clock.advance(1.9)
    assert deadline.clamp(5.0) == pytest.approx(0.1)
    clock.advance(1)
    assert deadline.clamp(5.0) == 0.0
    assert deadline.clamp(-1.0) == 0.0


def test_earliest_picks_the_sooner_deadline(clock: FakeClock) -> None:
    soon = Deadline.after(1, clock=clock)
    late = Deadline.after(3, clock=clock)
    assert soon.earliest(late) is soon
    assert late.earliest(soon) is soon
    assert late.earliest(None) is late


def test_a_deadline_travels_through_the_header(clock: FakeClock) -> None:
    sent = Deadline.after(1.5, clock=clock)
    assert sent.to_header() == "1500000u"
    clock.advance(0.5)
    received = Deadline.from_header(sent.to_header(), clock=clock)
    assert received.remaining() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "0n"),
        (-3.0, "0n"),
        (1e-9, "1n"),
        (0.05, "50000000n"),
        (0.1, "100000u"),
        (1.5, "1500000u"),
        (30.0, "30000000u"),
        (100.0, "100000m"),
        (200_000.0, "200000S"),
        (3600.0 * 99_999_999, "99999999H"),
    ],
)
def test_encode_picks_the_finest_unit_that_fits_eight_digits(seconds: float, text: str) -> None:
    assert encode_timeout(seconds) == text


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1H", 3600.0),
        ("2M", 120.0),
        ("3S", 3.0),
        ("1500m", 1.5),
        ("250u", 0.00025),
        ("7n", 7e-9),
        ("00000001S", 1.0),
        ("99999999H", 99_999_999 * 3600.0),
    ],
)
def test_parse_reads_every_unit(text: str, seconds: float) -> None:
    assert parse_timeout(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text", ["", "1500", "m", "123456789m", "1.5S", "-1S", "1s", "1 S", " 1S", "1SS", "\u0661S"]
)
def test_parse_rejects_malformed_values_with_a_clear_message(text: str) -> None:
    with pytest.raises(ValueError, match=r"invalid timeout .*1 to 8 digits and a unit"):
        parse_timeout(text)


@pytest.mark.parametrize("seconds", [math.inf, -math.inf, math.nan, 3600.0 * 10**8])
def test_encode_rejects_what_cannot_be_written(seconds: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        encode_timeout(seconds)


_SIZES = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "S": 1.0, "M": 60.0, "H": 3600.0}


@given(st.floats(min_value=0, max_value=3600.0 * 99_999_998, allow_nan=False))
def test_round_trip_loses_at_most_one_unit_and_never_shortens(seconds: float) -> None:
    text = encode_timeout(seconds)
    back = parse_timeout(text)
    unit = _SIZES[text[-1]]
    assert len(text) <= 9
    assert back >= seconds - 1e-6 * unit
    assert back - seconds <= unit * (1 + 1e-6)


@given(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), max_size=10),
    st.one_of(st.none(), st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)),
)
def test_deadline_arithmetic_is_never_negative(
    budget: float, steps: list[float], timeout: float | None
) -> None:
    clock = FakeClock()
    deadline = Deadline.after(budget, clock=clock)
    for step in steps:
        clock.advance(step)
        assert deadline.remaining() >= 0.0
        assert 0.0 <= deadline.clamp(timeout) <= deadline.remaining()
        assert deadline.expired == (deadline.remaining() == 0.0)
