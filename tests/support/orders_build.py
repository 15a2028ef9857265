"""A test build of orders: it dies (``os._exit``) at a named step of a placement.

Served as ``accord serve tests.support.orders_build:create_app``. Read only here, never
by the shop itself:

- ``ORDERS_CRASH_AT``: the step to die at — ``before_claim``, ``order_stored``,
  ``reserved``, ``authorized``, ``committed``, ``captured``, ``confirmed`` (after the
  order is stored confirmed) or ``answered`` (before the answer to the key is stored);
- ``ORDERS_CRASH_EVERY``: die the n-th time the step is reached (default 1: the first);
- ``ORDERS_UNPROTECTED=1``: place orders without their ``Idempotency-Key`` (the
  protection against a re-run placing a second order, switched off);
- ``ORDERS_IDEMPOTENCY_LEASE``: the keys' lease in seconds (default: the shop's).
"""

from __future__ import annotations

import itertools
import os
import sys

from accord.runtime import App
from shop.orders import bootstrap

__all__ = ["CRASH_EXIT", "CRASH_POINTS", "create_app"]

#: Every step a test build can die at, in the order a placement reaches them.
CRASH_POINTS = (
    "before_claim",
    "order_stored",
    "reserved",
    "authorized",
    "committed",
    "captured",
    "confirmed",
    "answered",
)
#: The exit status of a test build that died at its step.
CRASH_EXIT = 17


def create_app() -> App:
    """Orders as the shop builds it, with the crash point and switches of the environment."""
    point = os.environ.get("ORDERS_CRASH_AT") or None
    if point is not None and point not in CRASH_POINTS:
        raise SystemExit(f"ORDERS_CRASH_AT must be one of {', '.join(CRASH_POINTS)}")
    every = int(os.environ.get("ORDERS_CRASH_EVERY") or "1")
    reached = itertools.count(1)

    def checkpoint(step: str) -> None:
        if step == point and next(reached) % every == 0:
            print(f"orders test build: dying at {step}", file=sys.stderr, flush=True)
            os._exit(CRASH_EXIT)

    lease = os.environ.get("ORDERS_IDEMPOTENCY_LEASE")
    return bootstrap.create_app(
        checkpoint=checkpoint if point is not None else None,
        keyed=os.environ.get("ORDERS_UNPROTECTED") != "1",
        idempotency_lease=float(lease) if lease else None,
    )
