"""Inventory's domain: stock moves between available, reserved and sold, and never below 0."""

from __future__ import annotations

import pytest

from shop.inventory.domain.exceptions import (
    InvalidQuantity,
    OutOfStock,
    ReservationClosed,
    UnknownSku,
)
from shop.inventory.domain.model import (
    Reservation,
    ReservationLine,
    ReservationStatus,
    Sku,
    reserve,
    sum_quantities,
)


def apple(available: int = 10) -> Sku:
    return Sku("SKU-APPLE", "Apple", 120, available=available)


def pear(available: int = 5) -> Sku:
    return Sku("SKU-PEAR", "Pear", 95, available=available)


def test_restock_adds_to_available_and_total() -> None:
    sku = apple(10)
    sku.restock(5)
    assert (sku.available, sku.reserved, sku.sold, sku.total) == (15, 0, 0, 15)


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_quantities_must_be_positive_integers(bad: object) -> None:
    with pytest.raises(InvalidQuantity):
        apple().restock(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidQuantity):
        apple().hold(bad)  # type: ignore[arg-type]


def test_a_sku_cannot_start_negative_or_nameless() -> None:
    with pytest.raises(InvalidQuantity):
        Sku("SKU-X", "X", 1, available=-1)
    with pytest.raises(InvalidQuantity):
        Sku("SKU-X", "X", -1)
    with pytest.raises(InvalidQuantity):
        Sku("SKU-X", "", 1)


def test_hold_sell_unhold_keep_the_total() -> None:
    sku = apple(10)
    sku.hold(4)
    assert (sku.available, sku.reserved, sku.sold) == (6, 4, 0)
    sku.sell(3)
    assert (sku.available, sku.reserved, sku.sold) == (6, 1, 3)
    sku.unhold(1)
    assert (sku.available, sku.reserved, sku.sold) == (7, 0, 3)
    assert sku.total == 10


def test_hold_more_than_available_is_out_of_stock() -> None:
    sku = apple(2)
    with pytest.raises(OutOfStock) as caught:
        sku.hold(3)
    assert (caught.value.sku, caught.value.requested, caught.value.available) == (
        "SKU-APPLE",
        3,
        2,
    )
    assert sku.available == 2


def test_moving_more_than_held_is_refused() -> None:
    sku = apple(5)
    sku.hold(1)
    with pytest.raises(InvalidQuantity):
        sku.sell(2)
    with pytest.raises(InvalidQuantity):
        sku.unhold(2)
    assert (sku.available, sku.reserved) == (4, 1)


def test_sum_quantities_merges_repeated_skus_in_order() -> None:
    assert sum_quantities([("B", 1), ("A", 2), ("B", 3)]) == {"B": 4, "A": 2}
    assert list(sum_quantities([("B", 1), ("A", 2)])) == ["B", "A"]


def test_reserve_holds_every_item_priced_now() -> None:
    skus = {"SKU-APPLE": apple(10), "SKU-PEAR": pear(5)}
    r = reserve("r1", "o1", [("SKU-APPLE", 2), ("SKU-PEAR", 1), ("SKU-APPLE", 1)], skus)
    assert r.status is ReservationStatus.HELD
    assert r.lines == (
        ReservationLine("SKU-APPLE", 3, 120),
        ReservationLine("SKU-PEAR", 1, 95),
    )
    assert r.total_cents == 3 * 120 + 95
    assert (skus["SKU-APPLE"].available, skus["SKU-APPLE"].reserved) == (7, 3)
    assert (skus["SKU-PEAR"].available, skus["SKU-PEAR"].reserved) == (4, 1)


def test_reserve_is_all_or_nothing() -> None:
    skus = {"SKU-APPLE": apple(10), "SKU-PEAR": pear(1)}
    with pytest.raises(OutOfStock) as caught:
        reserve("r1", "o1", [("SKU-APPLE", 2), ("SKU-PEAR", 1), ("SKU-PEAR", 1)], skus)
    assert (caught.value.sku, caught.value.requested, caught.value.available) == (
        "SKU-PEAR",
        2,
        1,
    )
    assert skus["SKU-APPLE"].available == 10 and skus["SKU-APPLE"].reserved == 0
    with pytest.raises(UnknownSku) as unknown:
        reserve("r1", "o1", [("SKU-APPLE", 1), ("SKU-NOPE", 1)], skus)
    assert unknown.value.sku == "SKU-NOPE"
    assert skus["SKU-APPLE"].available == 10


def test_commit_and_release_are_idempotent_and_exclusive() -> None:
    skus = {"SKU-APPLE": apple(10)}
    r = reserve("r1", "o1", [("SKU-APPLE", 4)], skus)
    assert r.commit(skus) is True
    assert r.commit(skus) is False
    assert (skus["SKU-APPLE"].reserved, skus["SKU-APPLE"].sold) == (0, 4)
    with pytest.raises(ReservationClosed) as caught:
        r.release(skus)
    assert caught.value.status == "committed"

    r2 = reserve("r2", "o2", [("SKU-APPLE", 2)], skus)
    assert r2.release(skus) is True
    assert r2.release(skus) is False
    assert (skus["SKU-APPLE"].available, skus["SKU-APPLE"].reserved) == (6, 0)
    with pytest.raises(ReservationClosed):
        r2.commit(skus)
    assert skus["SKU-APPLE"].total == 10


def test_a_reservation_has_lines_one_per_sku() -> None:
    with pytest.raises(InvalidQuantity):
        Reservation("r", "o", ())
    line = ReservationLine("A", 1, 1)
    with pytest.raises(InvalidQuantity):
        Reservation("r", "o", (line, line))
