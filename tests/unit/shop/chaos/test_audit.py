"""The audit's arithmetic: lost orders, double charges, stock, holds left behind."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shop.chaos.audit import (
    NOTE_PREFIX,
    AuthorizationRow,
    PerKey,
    ReservationRow,
    StockRow,
    amplification,
    count_double_charges,
    key_of_note,
    per_key,
    stock_conserved,
    tally,
)


def auth(n: int, order: str, status: str) -> AuthorizationRow:
    return AuthorizationRow(f"auth-{n}", order, status)


def test_a_clean_run_breaks_nothing() -> None:
    counted = tally(
        acknowledged={"k1": ["o1", "o1"], "k2": ["o2"]},
        orders={"o1": "confirmed", "o2": "confirmed", "o3": "rejected"},
        before={"A": 10, "B": 5},
        after=[StockRow("A", 7, 0, 3), StockRow("B", 4, 0, 1)],
        reservations=[
            ReservationRow("r1", "o1", "committed"),
            ReservationRow("r3", "o3", "released"),
        ],
        authorizations=[auth(1, "o1", "captured"), auth(3, "o3", "voided")],
    )
    assert counted.orders_lost == 0
    assert counted.double_charges == 0
    assert counted.stock_conserved and counted.unconserved_skus == ()
    assert counted.orphan_reservations == 0
    assert counted.orphan_authorizations == 0
    assert counted.charged_rejected == 0
    assert counted.duplicate_orders == 0


def test_an_acknowledged_order_missing_or_not_confirmed_is_lost() -> None:
    counted = tally(
        acknowledged={"k1": ["o1"], "k2": ["o2"], "k3": ["o3"]},
        orders={"o1": None, "o2": "rejected", "o3": "confirmed"},
        before={},
        after=[],
        reservations=[],
        authorizations=[],
    )
    assert counted.orders_lost == 2


def test_one_key_placing_two_orders_is_counted() -> None:
    counted = tally(
        acknowledged={"k1": ["o1", "o2"], "k2": ["o3", "o3"]},
        orders={"o1": "confirmed", "o2": "confirmed", "o3": "confirmed"},
        before={},
        after=[],
        reservations=[],
        authorizations=[],
    )
    assert counted.duplicate_orders == 1


def test_double_charges_count_extra_authorizations_and_captures() -> None:
    assert count_double_charges([auth(1, "o1", "captured"), auth(2, "o2", "captured")]) == 0
    assert count_double_charges([auth(1, "o1", "captured"), auth(2, "o1", "voided")]) == 0
    assert count_double_charges([auth(1, "o1", "captured"), auth(2, "o1", "authorized")]) == 1
    # Two captures of one order: one extra authorization, one extra capture.
    assert count_double_charges([auth(1, "o1", "captured"), auth(2, "o1", "captured")]) == 2


def test_stock_that_moved_names_its_skus() -> None:
    before = {"A": 10, "B": 5, "C": 1}
    after = [StockRow("A", 6, 1, 3), StockRow("B", 5, 1, 0), StockRow("D", 1, 0, 0)]
    assert stock_conserved(before, after) == ("B", "C", "D")


def test_holds_left_and_captures_for_rejected_orders() -> None:
    counted = tally(
        acknowledged={},
        orders={"o1": "rejected", "o2": "confirmed"},
        before={"A": 3},
        after=[StockRow("A", 1, 1, 1)],
        reservations=[ReservationRow("r1", "o1", "held"), ReservationRow("r2", "o2", "held")],
        authorizations=[auth(1, "o1", "captured"), auth(2, "o2", "authorized")],
    )
    assert counted.orphan_reservations == 2
    assert counted.orphan_authorizations == 1
    assert counted.charged_rejected == 1
    assert counted.charged_unconfirmed == ("o1 (rejected)",)
    assert counted.stock_conserved


def test_amplification_is_attempts_per_call() -> None:
    assert amplification(120, 100) == 1.2
    assert amplification(0, 0) == 1.0


@given(
    st.dictionaries(
        st.sampled_from("ABCDE"),
        st.tuples(*(st.integers(0, 1000) for _ in range(3))),
        min_size=1,
    ),
    st.data(),
)
def test_moving_stock_between_columns_conserves_it(
    stock: dict[str, tuple[int, int, int]], data: st.DataObject
) -> None:
    before = {sku: sum(split) for sku, split in stock.items()}
    after = []
    for sku, total in before.items():
        sold = data.draw(st.integers(0, total))
        reserved = data.draw(st.integers(0, total - sold))
        after.append(StockRow(sku, total - sold - reserved, reserved, sold))
    assert stock_conserved(before, after) == ()
    grown = [StockRow(r.sku, r.available + 1, r.reserved, r.sold) for r in after]
    assert stock_conserved(before, grown) == tuple(sorted(before))


def test_what_the_processor_settled_is_counted_per_order() -> None:
    import json

    from shop.chaos.audit import settled_at_processor

    lines = [
        json.dumps({"ref": "p1", "state": "approved", "merchant_ref": "o1", "amount": 5}),
        json.dumps({"ref": "p2", "state": "approved", "merchant_ref": "o2", "amount": 5}),
        json.dumps({"ref": "p3", "state": "approved", "merchant_ref": "o2", "amount": 5}),
        json.dumps({"ref": "p1", "state": "settled"}),
        json.dumps({"ref": "p2", "state": "settled"}),
        json.dumps({"ref": "p3", "state": "reversed"}),
        '{"ref": "p4", "sta',
    ]
    assert settled_at_processor(lines) == {"o1": 1, "o2": 1}
    lines.append(json.dumps({"ref": "p3", "state": "settled"}))
    assert settled_at_processor(lines) == {"o1": 1, "o2": 2}


def test_charges_at_the_processor_count_against_the_promises() -> None:
    counted = tally(
        acknowledged={},
        orders={"o1": "confirmed", "o2": "confirmed", "o3": "rejected"},
        before={},
        after=[],
        reservations=[],
        authorizations=[auth(1, "o1", "captured"), auth(2, "o2", "captured")],
        settled={"o1": 1, "o2": 2, "o3": 1},
    )
    assert counted.double_charges == 1  # o2 settled twice
    assert counted.unrecorded_charges == 1  # o3 settled, nothing captured


def test_a_key_that_placed_two_charged_orders_is_a_double_charge_per_key() -> None:
    # The case: each order was charged once, but one key placed both.
    keys = {"o1": "k1", "o2": "k1", "o3": "k2", "o4": None}
    counted = per_key(
        keys,
        reservations=[
            ReservationRow("r1", "o1", "committed"),
            ReservationRow("r2", "o2", "committed"),
            ReservationRow("r3", "o3", "committed"),
        ],
        authorizations=[
            auth(1, "o1", "captured"),
            auth(2, "o2", "captured"),
            auth(3, "o3", "captured"),
            auth(4, "o4", "captured"),
        ],
        settled={"o1": 1, "o2": 1, "o3": 1},
    )
    assert count_double_charges([auth(1, "o1", "captured"), auth(2, "o2", "captured")]) == 0
    assert counted == PerKey(
        keys=2,
        duplicate_orders=1,
        duplicate_reservations=1,
        duplicate_authorizations=1,
        double_charges=3,  # held twice, captured twice, settled twice
    )


def test_one_order_per_key_is_clean_and_a_voided_second_hold_is_no_charge() -> None:
    counted = per_key(
        {"o1": "k1", "o2": "k2"},
        reservations=[ReservationRow("r1", "o1", "committed")],
        authorizations=[auth(1, "o1", "captured"), auth(2, "o2", "voided")],
        settled={"o1": 1},
    )
    assert counted == PerKey(2, 0, 0, 0, 0)


def test_the_key_is_read_from_the_loads_note() -> None:
    assert key_of_note(NOTE_PREFIX + "abc") == "abc"
    assert key_of_note("a customer's note") is None
    assert key_of_note(None) is None
    assert key_of_note(NOTE_PREFIX) is None
