"""``shop.common.errors``: a domain error made of its values, and a read that must find."""

from __future__ import annotations

from dataclasses import KW_ONLY

import pytest

from shop.common.errors import ValuedError, found


class ShelfError(Exception):
    """A domain's root error, raised with a sentence."""


class ShelfMissing(ShelfError, ValuedError):
    shelf: str
    row: int
    message = "no shelf {shelf!r} in row {row}"


class ShelfBusy(ShelfError, ValuedError):
    shelf: str
    _: KW_ONLY
    seconds: float = 1.0
    message = "shelf {shelf} is busy for {seconds:.1f}s"


def test_the_message_is_made_of_the_values_and_each_value_is_kept() -> None:
    error = ShelfMissing("B", 3)
    assert str(error) == "no shelf 'B' in row 3"
    assert error.args == ("no shelf 'B' in row 3",)
    assert (error.shelf, error.row) == ("B", 3)
    assert repr(error) == "ShelfMissing(shelf='B', row=3)"


def test_values_may_be_named_have_defaults_and_be_keyword_only() -> None:
    assert str(ShelfBusy(shelf="A")) == "shelf A is busy for 1.0s"
    assert ShelfBusy("A", seconds=2.25).seconds == 2.25
    with pytest.raises(TypeError):
        ShelfBusy("A", 2.0)  # type: ignore[misc]


def test_it_is_raised_and_caught_as_the_domains_error_and_compared_by_identity() -> None:
    with pytest.raises(ShelfError, match="row 3"):
        raise ShelfMissing("B", 3)
    first, second = ShelfMissing("B", 3), ShelfMissing("B", 3)
    assert first != second
    assert len({first, second}) == 2


def test_found_is_the_value_read_or_the_missing_error_raised() -> None:
    assert found("shelf B", ShelfMissing, "B", 3) == "shelf B"
    assert found(0, ShelfMissing, "B", 3) == 0  # only None is "nothing found"
    with pytest.raises(ShelfMissing, match="no shelf 'B' in row 3"):
        found(None, ShelfMissing, "B", row=3)
