"""The shop's chaos figures: which promises a run broke, its JSON and its table."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from rich.console import Console

from accord.chaos import MAX_AMPLIFICATION, ChaosReport
from accord.chaos.report import standard_figures
from shop.chaos.audit import PerKey, Tally
from shop.chaos.figures import ShopAudit, figures

#: A run that broke nothing.
SOUND = Tally(
    orders_lost=0,
    double_charges=0,
    stock_conserved=True,
    orphan_reservations=0,
    orphan_authorizations=0,
    charged_rejected=0,
    duplicate_orders=0,
)
ONE_PER_KEY = PerKey(
    keys=0,
    duplicate_orders=0,
    duplicate_reservations=0,
    duplicate_authorizations=0,
    double_charges=0,
)
GOOD: dict[str, Any] = {
    "orders_attempted": 100,
    "orders_acknowledged": 60,
    "orders_rejected": 10,
    "orders_unavailable": 30,
    "breaker_close_seconds": 1.5,
}


def report(
    retry_amplification: float = 1.05,
    *,
    invariants: dict[str, Any] | None = None,
    per_key: dict[str, Any] | None = None,
    **changes: Any,
) -> ChaosReport:
    """The report of a good run but for ``invariants`` and ``per_key`` (the fields of a
    :class:`Tally` and a :class:`PerKey` that differ) and ``changes`` to the audit."""
    standard = standard_figures(
        attempts=retry_amplification * 1000,
        calls=1000,
        breaker_opened=2,
        latencies=[(0.0, 250.0), (1.0, 400.0)],
        under_fault=lambda start: start >= 1.0,
        restarts=4,
        faults_injected=50,
        settle_seconds=3.0,
    )
    audit = ShopAudit(
        **{**GOOD, **changes},
        invariants=replace(SOUND, **(invariants or {})),
        per_key=replace(ONE_PER_KEY, **(per_key or {})),
    )
    return ChaosReport.of(7, 20.0, figures(audit, standard), standard)


def test_a_good_run_breaks_nothing() -> None:
    assert report().failures() == []


def test_every_broken_invariant_is_named() -> None:
    bad = report(
        invariants={
            "orders_lost": 2,
            "double_charges": 1,
            "stock_conserved": False,
            "unconserved_skus": ("SKU-A",),
            "orphan_reservations": 3,
        },
        retry_amplification=MAX_AMPLIFICATION + 0.01,
    )
    assert bad.failures() == [
        "2 acknowledged order(s) lost",
        "1 double charge(s)",
        "stock not conserved for SKU-A",
        "3 orphan reservation(s)",
        f"retry amplification 1.21 > {MAX_AMPLIFICATION}",
    ]
    assert report(retry_amplification=MAX_AMPLIFICATION).failures() == []


def test_the_json_is_one_object_with_the_promised_keys() -> None:
    data = json.loads(report().to_json())
    for key in (
        "orders_attempted",
        "orders_acknowledged",
        "orders_lost",
        "double_charges",
        "stock_conserved",
        "orphan_reservations",
        "retry_amplification",
        "breaker_opened",
        "p99_ms_under_fault",
        "breaker_close_seconds",
    ):
        assert key in data
    assert data["seed"] == 7 and data["p99_ms_under_fault"] == 400.0
    assert data["retry_amplification"] == 1.05 and data["requests_sent"] == 2


def test_the_table_shows_figures_and_verdicts() -> None:
    console = Console(width=120, record=True)
    console.print(report(invariants={"orders_lost": 1}, breaker_close_seconds=None).table())
    text = console.export_text()
    assert "chaos run (seed 7, 20 s)" in text
    assert "orders lost" in text and "FAIL" in text
    assert "stock conserved" in text and "true" in text
    assert "breaker closed after (s)" in text


def test_amplification_to_a_failing_downstream_is_held_to_the_target() -> None:
    assert report(retry_amplification_when_down=0.1).failures() == []
    assert report(retry_amplification_when_down=None).failures() == []
    assert report(retry_amplification_when_down=1.5).failures() == [
        "retry amplification to a downstream failing 100 % 1.50 > 1.2"
    ]


def test_the_per_key_invariants_are_reported_and_held_to_zero() -> None:
    bad = report(
        per_key={
            "double_charges": 2,
            "duplicate_orders": 1,
            "duplicate_reservations": 1,
            "duplicate_authorizations": 1,
        }
    )
    assert bad.failures() == [
        "2 double charge(s) per key",
        "1 order(s) beyond the first of a key",
        "1 reservation(s) beyond the first of a key",
        "1 authorization(s) beyond the first of a key",
    ]
    data = json.loads(bad.to_json())
    assert data["double_charges_per_key"] == 2 and data["double_charges"] == 0
    for key in ("keys_audited", "keys_retried", "orders_killed", "duplicate_orders_per_key"):
        assert key in data
    console = Console(width=120, record=True)
    console.print(bad.table())
    text = console.export_text()
    assert "double charges per key" in text and "FAIL" in text
    assert "keys audited / retried" in text and "orders killed" in text


def test_the_json_keeps_every_key_the_shops_report_always_had() -> None:
    kept = [
        "seed",
        "duration_s",
        "orders_attempted",
        "orders_acknowledged",
        "orders_rejected",
        "orders_unavailable",
        "orders_lost",
        "double_charges",
        "stock_conserved",
        "orphan_reservations",
        "orphan_authorizations",
        "charged_rejected",
        "unrecorded_charges",
        "duplicate_orders",
        "keys_audited",
        "keys_retried",
        "orders_killed",
        "double_charges_per_key",
        "duplicate_orders_per_key",
        "duplicate_reservations_per_key",
        "duplicate_authorizations_per_key",
        "requests_sent",
        "retry_amplification",
        "retry_amplification_when_down",
        "breaker_opened",
        "breaker_open_after_calls",
        "breaker_close_seconds",
        "p99_ms",
        "p99_ms_under_fault",
        "open_rejection_p99_ms",
        "restarts",
        "faults_injected",
        "settle_seconds",
        "answers",
        "events",
        "unconserved_skus",
        "charged_unconfirmed",
    ]
    assert sorted(json.loads(report().to_json())) == sorted([*kept, "fault_changes"])
