"""The audit of the shop's chaos run: its services' own data, read back, checked against promises.

Pure arithmetic over what the driver read through the services' APIs, so it is tested
without processes:

- ``orders_lost``: orders acknowledged to a client (201) that orders no longer knows, or
  that it knows as anything but ``confirmed``;
- ``double_charges``: for each order, authorizations beyond the first and captures beyond
  the first;
- ``stock_conserved``: for every SKU, the stock before the run equals available +
  reserved + sold after it (no restock happens during a run);
- ``orphan_reservations`` / ``orphan_authorizations``: reservations still ``held`` and
  authorizations still ``authorized`` once the run settled (every order is final, so
  nothing should be held any more);
- ``charged_rejected``: captured authorizations whose order is not confirmed;
- ``duplicate_orders``: idempotency keys that produced more than one order;
- at the card processor itself (its journal, when it keeps one): holds *settled* per
  order — more than one is a double charge too, and one for an order whose
  authorization payments does not show as captured is an ``unrecorded_charge``;
- ``retry_amplification``: attempts sent by orders' clients per original call;
- per idempotency key (:func:`per_key`: every order is tied to the key it was placed
  with, whichever attempt placed it, through the key the load writes in its note):
  orders, reservations and authorizations beyond the first of a key, and
  ``double_charges_per_key`` — authorizations held, captures and holds the card
  processor settled beyond the first of a key. A key whose retry placed a second order
  while the first was finished by orders' recovery is a double charge per key although
  each order alone was charged once.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "NOTE_PREFIX",
    "AuthorizationRow",
    "PerKey",
    "ReservationRow",
    "StockRow",
    "StockTotals",
    "Tally",
    "amplification",
    "count_double_charges",
    "key_of_note",
    "per_key",
    "settled_at_processor",
    "stock_conserved",
    "tally",
]


@dataclass(frozen=True, slots=True)
class StockRow:
    """One SKU's stock as inventory reports it."""

    sku: str
    available: int
    reserved: int
    sold: int

    @property
    def total(self) -> int:
        """Available + reserved + sold: constant unless restocked."""
        return self.available + self.reserved + self.sold


#: SKU → its total stock (available + reserved + sold) when the run started.
StockTotals = Mapping[str, int]


@dataclass(frozen=True, slots=True)
class ReservationRow:
    """A reservation: its id, its order and its status."""

    reservation_id: str
    order_id: str
    status: str


@dataclass(frozen=True, slots=True)
class AuthorizationRow:
    """An authorization: its id, its order and its status."""

    authorization_id: str
    order_id: str
    status: str


@dataclass(frozen=True, slots=True)
class Tally:
    """The invariants of a run, counted."""

    orders_lost: int
    double_charges: int
    stock_conserved: bool
    orphan_reservations: int
    orphan_authorizations: int
    charged_rejected: int
    duplicate_orders: int
    unconserved_skus: tuple[str, ...] = ()
    unrecorded_charges: int = 0
    #: Each order counted in ``charged_rejected``, as ``"<order id> (<its status>)"``.
    charged_unconfirmed: tuple[str, ...] = ()


def stock_conserved(before: StockTotals, after: Iterable[StockRow]) -> tuple[str, ...]:
    """The SKUs whose total changed (or appeared, or vanished); empty when conserved."""
    now = {row.sku: row.total for row in after}
    return tuple(sorted(sku for sku in set(before) | set(now) if before.get(sku) != now.get(sku)))


def count_double_charges(authorizations: Iterable[AuthorizationRow]) -> int:
    """Authorizations beyond the first of an order, plus captures beyond the first."""
    held = Counter(a.order_id for a in authorizations if a.status != "voided")
    captured = Counter(a.order_id for a in authorizations if a.status == "captured")
    return sum(n - 1 for n in held.values() if n > 1) + sum(
        n - 1 for n in captured.values() if n > 1
    )


#: How the load's notes begin: ``"chaos key <idempotency key>"``.
NOTE_PREFIX = "chaos key "


def key_of_note(note: str | None) -> str | None:
    """The idempotency key a note written by the load names (None: not the load's)."""
    if note is None or not note.startswith(NOTE_PREFIX):
        return None
    return note[len(NOTE_PREFIX) :] or None


@dataclass(frozen=True, slots=True)
class PerKey:
    """The invariants counted per idempotency key: what lies beyond the first of a key."""

    keys: int
    duplicate_orders: int
    duplicate_reservations: int
    duplicate_authorizations: int
    double_charges: int


def per_key(
    keys: Mapping[str, str | None],
    reservations: Iterable[ReservationRow],
    authorizations: Iterable[AuthorizationRow],
    settled: Mapping[str, int] | None = None,
) -> PerKey:
    """Count per key; ``keys`` maps order ids to the key each was placed with (None:
    unknown, left out), ``settled`` counts the holds the processor settled per order."""

    def extra(counted: Counter[str]) -> int:
        return sum(n - 1 for n in counted.values() if n > 1)

    def by_key(order_ids: Iterable[str]) -> Counter[str]:
        return Counter(k for oid in order_ids if (k := keys.get(oid)) is not None)

    auths = list(authorizations)
    settled_by_key: Counter[str] = Counter()
    for oid, n in (settled or {}).items():
        key = keys.get(oid)
        if key is not None:
            settled_by_key[key] += n
    return PerKey(
        keys=len({k for k in keys.values() if k is not None}),
        duplicate_orders=extra(by_key(keys)),
        duplicate_reservations=extra(by_key(r.order_id for r in reservations)),
        duplicate_authorizations=extra(by_key(a.order_id for a in auths)),
        double_charges=extra(by_key(a.order_id for a in auths if a.status != "voided"))
        + extra(by_key(a.order_id for a in auths if a.status == "captured"))
        + extra(settled_by_key),
    )


def amplification(attempts: float, calls: float) -> float:
    """Attempts per original call (1.0 when nothing was called)."""
    return attempts / calls if calls > 0 else 1.0


def tally(
    *,
    acknowledged: Mapping[str, Sequence[str]],
    orders: Mapping[str, str | None],
    before: StockTotals,
    after: Iterable[StockRow],
    reservations: Iterable[ReservationRow],
    authorizations: Sequence[AuthorizationRow],
    settled: Mapping[str, int] | None = None,
) -> Tally:
    """Count the invariants.

    ``acknowledged`` maps each idempotency key to the order ids acknowledged for it;
    ``orders`` maps order ids to their status as orders reports it (None: unknown to
    orders); ``reservations`` and ``authorizations`` are everything the services hold;
    ``settled`` counts the holds the card processor settled per order.
    """
    ids = {oid for oids in acknowledged.values() for oid in oids}
    lost = sum(1 for oid in ids if orders.get(oid) != "confirmed")
    duplicates = sum(1 for oids in acknowledged.values() if len(set(oids)) > 1)
    moved = stock_conserved(before, after)
    orphans = sum(1 for r in reservations if r.status == "held")
    unvoided = sum(1 for a in authorizations if a.status == "authorized")
    charged_unconfirmed = tuple(
        sorted(
            f"{a.order_id} ({orders.get(a.order_id) or 'unknown to orders'})"
            for a in authorizations
            if a.status == "captured" and orders.get(a.order_id) != "confirmed"
        )
    )
    settled = settled or {}
    captured = {a.order_id for a in authorizations if a.status == "captured"}
    return Tally(
        orders_lost=lost,
        double_charges=count_double_charges(authorizations)
        + sum(n - 1 for n in settled.values() if n > 1),
        stock_conserved=not moved,
        orphan_reservations=orphans,
        orphan_authorizations=unvoided,
        charged_rejected=len(charged_unconfirmed),
        charged_unconfirmed=charged_unconfirmed,
        duplicate_orders=duplicates,
        unconserved_skus=moved,
        unrecorded_charges=sum(1 for oid, n in settled.items() if n and oid not in captured),
    )


def settled_at_processor(journal_lines: Iterable[str]) -> dict[str, int]:
    """Holds the card processor settled, per order, from its journal's lines
    (``{"ref", "state", "merchant_ref"?}``; a torn line is skipped)."""
    merchants: dict[str, str] = {}
    states: dict[str, str] = {}
    for line in journal_lines:
        try:
            entry = json.loads(line)
            ref, state = str(entry["ref"]), str(entry["state"])
        except (ValueError, KeyError, TypeError):
            continue
        states[ref] = state
        if "merchant_ref" in entry:
            merchants[ref] = str(entry["merchant_ref"])
    counted: dict[str, int] = {}
    for ref, state in states.items():
        if state == "settled":
            order = merchants.get(ref, f"?{ref}")
            counted[order] = counted.get(order, 0) + 1
    return counted
