"""The shop's chaos figures: what its audit counted, in the order the table shows them.

The engine's own figures (retry amplification, breakers opened, latencies, restarts,
faults injected, settling: :func:`accord.chaos.report.standard_figures`) are placed
among them where the shop's report always showed them.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from accord.chaos import MAX_AMPLIFICATION, Figure, held_to_zero
from shop.chaos.audit import PerKey, Tally

__all__ = ["ShopAudit", "figures"]


class ShopAudit(msgspec.Struct, kw_only=True):
    """What the shop's scenario counted: the load, the invariants, the breaker to payments."""

    orders_attempted: int
    orders_acknowledged: int
    orders_rejected: int
    orders_unavailable: int
    #: Counted per order from the services' data (:func:`shop.chaos.audit.tally`).
    invariants: Tally
    #: Counted per idempotency key (:func:`shop.chaos.audit.per_key`).
    per_key: PerKey
    keys_retried: int = 0
    orders_killed: int = 0
    retry_amplification_when_down: float | None = None
    breaker_open_after_calls: int | None = None
    breaker_close_seconds: float | None = None
    open_rejection_p99_ms: float | None = None
    answers: dict[str, int] = msgspec.field(default_factory=dict)


def _invariants(t: Tally) -> list[Figure]:
    conserved = t.stock_conserved
    return [
        held_to_zero("orders_lost", "orders lost", t.orders_lost, "{n} acknowledged order(s) lost"),
        held_to_zero("double_charges", "double charges", t.double_charges, "{n} double charge(s)"),
        Figure(
            "stock_conserved",
            "stock conserved",
            conserved,
            "true",
            conserved,
            f"stock not conserved for {', '.join(t.unconserved_skus)}",
        ),
        held_to_zero(
            "orphan_reservations",
            "orphan reservations",
            t.orphan_reservations,
            "{n} orphan reservation(s)",
        ),
        held_to_zero(
            "orphan_authorizations",
            "authorizations left held",
            t.orphan_authorizations,
            "{n} authorization(s) left held",
        ),
        held_to_zero(
            "charged_rejected",
            "captured, not confirmed",
            t.charged_rejected,
            "{n} capture(s) for orders not confirmed: " + ", ".join(t.charged_unconfirmed),
        ),
        held_to_zero(
            "unrecorded_charges",
            "settled at the processor, not captured",
            t.unrecorded_charges,
            "{n} order(s) charged at the processor, not captured",
        ),
        held_to_zero(
            "duplicate_orders",
            "keys placed twice",
            t.duplicate_orders,
            "{n} idempotency key(s) placed twice",
        ),
    ]


def _per_key(a: ShopAudit) -> list[Figure]:
    k = a.per_key
    return [
        Figure("keys_audited", "", k.keys),
        Figure("keys_retried", "", a.keys_retried),
        Figure("", "keys audited / retried", f"{k.keys} / {a.keys_retried}"),
        Figure("orders_killed", "orders killed", a.orders_killed),
        held_to_zero(
            "double_charges_per_key",
            "double charges per key",
            k.double_charges,
            "{n} double charge(s) per key",
        ),
        held_to_zero(
            "duplicate_orders_per_key",
            "orders beyond one per key",
            k.duplicate_orders,
            "{n} order(s) beyond the first of a key",
        ),
        held_to_zero(
            "duplicate_reservations_per_key",
            "reservations beyond one per key",
            k.duplicate_reservations,
            "{n} reservation(s) beyond the first of a key",
        ),
        held_to_zero(
            "duplicate_authorizations_per_key",
            "authorizations beyond one per key",
            k.duplicate_authorizations,
            "{n} authorization(s) beyond the first of a key",
        ),
    ]


def _breaker(a: ShopAudit, standard: Mapping[str, Figure]) -> list[Figure]:
    down, closed = a.retry_amplification_when_down, a.breaker_close_seconds
    return [
        standard["retry_amplification"],
        Figure(
            "retry_amplification_when_down",
            "  … to payments failing 100 %",
            down,
            f"≤ {MAX_AMPLIFICATION}",
            None if down is None else down <= MAX_AMPLIFICATION,
            f"retry amplification to a downstream failing 100 % {down or 0.0:.2f} > "
            f"{MAX_AMPLIFICATION}",
        ),
        standard["breaker_opened"],
        Figure(
            "breaker_open_after_calls",
            "  … after failed calls to payments",
            a.breaker_open_after_calls,
        ),
        # Shown against its target, not a broken promise when missed.
        Figure(
            "breaker_close_seconds",
            "breaker closed after (s)",
            closed,
            "< 5",
            None if closed is None else closed < 5,
        ),
    ]


def figures(a: ShopAudit, standard: Mapping[str, Figure]) -> list[Figure]:
    """Every figure of a shop run, in the order the table shows them."""
    return [
        Figure("orders_attempted", "orders attempted", a.orders_attempted),
        Figure("orders_acknowledged", "orders acknowledged", a.orders_acknowledged),
        Figure("orders_rejected", "orders refused (4xx)", a.orders_rejected),
        Figure("orders_unavailable", "orders unavailable (5xx)", a.orders_unavailable),
        *_invariants(a.invariants),
        *_per_key(a),
        *_breaker(a, standard),
        standard["p99_ms"],
        standard["p99_ms_under_fault"],
        Figure(
            "open_rejection_p99_ms",
            "p99 of placements an open breaker refused (ms)",
            a.open_rejection_p99_ms,
        ),
        *(standard[key] for key in ("requests_sent", "restarts", "faults_injected")),
        standard["settle_seconds"],
        Figure("answers", "", a.answers),
        standard["events"],
        Figure("unconserved_skus", "", list(a.invariants.unconserved_skus)),
        Figure("charged_unconfirmed", "", list(a.invariants.charged_unconfirmed)),
    ]
