"""Flag declarations refuse what they cannot be."""

from __future__ import annotations

from datetime import date

import pytest

from accord.flags import Flag, FlagKind

EXPIRES = date(2030, 1, 1)


def test_typed_constructors_set_the_kind() -> None:
    flag = Flag.integer("batch-size", default=10, description="d", owner="o", expires=EXPIRES)
    assert flag.kind is FlagKind.INTEGER
    assert Flag.number("ratio", default=0.5, description="d", owner="o", expires=EXPIRES).kind is (
        FlagKind.FLOAT
    )


@pytest.mark.parametrize(
    ("key", "default", "message"),
    [
        ("Bad Key", True, "must match"),
        ("ok-key", "yes", "is not boolean"),
    ],
)
def test_bad_declarations_are_refused(key: str, default: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Flag(key, FlagKind.BOOLEAN, default, "d", "o", EXPIRES)  # type: ignore[arg-type]


def test_an_owner_is_needed() -> None:
    with pytest.raises(ValueError, match="owner"):
        Flag.boolean("x", default=False, description="d", owner=" ", expires=EXPIRES)


@pytest.mark.parametrize(
    ("kind", "value", "accepted"),
    [
        (FlagKind.BOOLEAN, True, True),
        (FlagKind.BOOLEAN, 1, False),
        (FlagKind.INTEGER, True, False),
        (FlagKind.INTEGER, 3, True),
        (FlagKind.FLOAT, 3, True),
        (FlagKind.STRING, 3, False),
        (FlagKind.OBJECT, {"a": 1}, True),
    ],
)
def test_kinds_accept_their_values(kind: FlagKind, value: object, accepted: bool) -> None:
    assert kind.accepts(value) is accepted


def test_expiry_is_after_the_day() -> None:
    flag = Flag.boolean("x", default=False, description="d", owner="o", expires=EXPIRES)
    assert not flag.expired(EXPIRES)
    assert flag.expired(date(2030, 1, 2))
