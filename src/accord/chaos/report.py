"""The figures of a chaos run, the targets they are held to, and how they are shown."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import msgspec
from rich.table import Table

__all__ = ["MAX_AMPLIFICATION", "ChaosReport", "percentile"]

#: The most attempts per original call the retry budget may allow.
MAX_AMPLIFICATION = 1.2


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100, nearest rank) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


class ChaosReport(msgspec.Struct, kw_only=True):
    """Everything a chaos run measured (the ``--json`` object)."""

    seed: int
    duration_s: float
    orders_attempted: int
    orders_acknowledged: int
    orders_rejected: int
    orders_unavailable: int
    orders_lost: int
    double_charges: int
    stock_conserved: bool
    orphan_reservations: int
    orphan_authorizations: int
    charged_rejected: int
    unrecorded_charges: int = 0
    duplicate_orders: int
    keys_audited: int = 0
    keys_retried: int = 0
    orders_killed: int = 0
    double_charges_per_key: int = 0
    duplicate_orders_per_key: int = 0
    duplicate_reservations_per_key: int = 0
    duplicate_authorizations_per_key: int = 0
    requests_sent: int
    retry_amplification: float
    retry_amplification_when_down: float | None = None
    breaker_opened: int
    breaker_open_after_calls: int | None = None
    breaker_close_seconds: float | None
    p99_ms: float | None
    p99_ms_under_fault: float | None
    open_rejection_p99_ms: float | None = None
    restarts: int
    faults_injected: int
    settle_seconds: float
    answers: dict[str, int] = msgspec.field(default_factory=dict)
    events: list[str] = msgspec.field(default_factory=list)
    unconserved_skus: list[str] = msgspec.field(default_factory=list)

    def failures(self) -> list[str]:
        """The invariants this run broke, in words (empty: every promise kept)."""
        broken = []
        if self.orders_lost:
            broken.append(f"{self.orders_lost} acknowledged order(s) lost")
        if self.double_charges:
            broken.append(f"{self.double_charges} double charge(s)")
        if not self.stock_conserved:
            broken.append(f"stock not conserved for {', '.join(self.unconserved_skus)}")
        if self.orphan_reservations:
            broken.append(f"{self.orphan_reservations} orphan reservation(s)")
        if self.orphan_authorizations:
            broken.append(f"{self.orphan_authorizations} authorization(s) left held")
        if self.charged_rejected:
            broken.append(f"{self.charged_rejected} capture(s) for orders not confirmed")
        if self.unrecorded_charges:
            broken.append(
                f"{self.unrecorded_charges} order(s) charged at the processor, not captured"
            )
        if self.duplicate_orders:
            broken.append(f"{self.duplicate_orders} idempotency key(s) placed twice")
        per_key = {
            "double charge(s) per key": self.double_charges_per_key,
            "order(s) beyond the first of a key": self.duplicate_orders_per_key,
            "reservation(s) beyond the first of a key": self.duplicate_reservations_per_key,
            "authorization(s) beyond the first of a key": self.duplicate_authorizations_per_key,
        }
        broken += [f"{n} {what}" for what, n in per_key.items() if n]
        if self.retry_amplification > MAX_AMPLIFICATION:
            broken.append(
                f"retry amplification {self.retry_amplification:.2f} > {MAX_AMPLIFICATION}"
            )
        down = self.retry_amplification_when_down
        if down is not None and down > MAX_AMPLIFICATION:
            broken.append(
                f"retry amplification to a downstream failing 100 % {down:.2f} > "
                f"{MAX_AMPLIFICATION}"
            )
        return broken

    def to_json(self) -> bytes:
        """One JSON object."""
        return msgspec.json.encode(self)

    def table(self) -> Table:
        """The figures as a Rich table, each with its target and a verdict."""
        table = Table(title=f"chaos run (seed {self.seed}, {self.duration_s:g} s)")
        for column in ("figure", "value", "target", ""):
            table.add_column(column)

        def row(name: str, value: object, target: str = "", ok: bool | None = None) -> None:
            mark = "" if ok is None else ("[green]ok[/green]" if ok else "[red]FAIL[/red]")
            table.add_row(name, _show(value), target, mark)

        row("orders attempted", self.orders_attempted)
        row("orders acknowledged", self.orders_acknowledged)
        row("orders refused (4xx)", self.orders_rejected)
        row("orders unavailable (5xx)", self.orders_unavailable)
        row("orders lost", self.orders_lost, "0", self.orders_lost == 0)
        row("double charges", self.double_charges, "0", self.double_charges == 0)
        row("stock conserved", self.stock_conserved, "true", self.stock_conserved)
        row("orphan reservations", self.orphan_reservations, "0", self.orphan_reservations == 0)
        row(
            "authorizations left held",
            self.orphan_authorizations,
            "0",
            self.orphan_authorizations == 0,
        )
        row("captured, not confirmed", self.charged_rejected, "0", self.charged_rejected == 0)
        row(
            "settled at the processor, not captured",
            self.unrecorded_charges,
            "0",
            self.unrecorded_charges == 0,
        )
        row("keys placed twice", self.duplicate_orders, "0", self.duplicate_orders == 0)
        self._per_key_rows(row)
        row(
            "retry amplification",
            self.retry_amplification,
            f"≤ {MAX_AMPLIFICATION}",
            self.retry_amplification <= MAX_AMPLIFICATION,
        )
        down = self.retry_amplification_when_down
        row(
            "  … to payments failing 100 %",
            down,
            f"≤ {MAX_AMPLIFICATION}",
            None if down is None else down <= MAX_AMPLIFICATION,
        )
        row("breaker opened", self.breaker_opened)
        row("  … after failed calls to payments", self.breaker_open_after_calls)
        closed = self.breaker_close_seconds
        row("breaker closed after (s)", closed, "< 5", None if closed is None else closed < 5)
        row("p99 latency (ms)", self.p99_ms)
        row("p99 latency under fault (ms)", self.p99_ms_under_fault)
        row("p99 of placements an open breaker refused (ms)", self.open_rejection_p99_ms)
        row("requests sent", self.requests_sent)
        row("restarts", self.restarts)
        row("faults injected", self.faults_injected)
        row("settled after (s)", self.settle_seconds)
        return table

    def _per_key_rows(self, row: Callable[[str, object, str, bool | None], None]) -> None:
        row("keys audited / retried", f"{self.keys_audited} / {self.keys_retried}", "", None)
        row("orders killed", self.orders_killed, "", None)
        for name, value in (
            ("double charges per key", self.double_charges_per_key),
            ("orders beyond one per key", self.duplicate_orders_per_key),
            ("reservations beyond one per key", self.duplicate_reservations_per_key),
            ("authorizations beyond one per key", self.duplicate_authorizations_per_key),
        ):
            row(name, value, "0", value == 0)


def _show(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)
