"""The accord benchmark app (``accord_full``) with two feature flags evaluated per order.

``$BENCH_FLAGS_FILE`` names a flagd file: each ``POST /v1/orders`` then evaluates the
shop's two flags (``pause-orders``, static; ``strict-card-tokens``, a fractional split
per customer) through OpenFeature and flagd's in-process file provider, with the span
event and counter every evaluation leaves. Unset, no flag is evaluated: the same app,
the same process settings, so the two runs differ only by the flags.
"""

from __future__ import annotations

import os
from pathlib import Path

from accord.flags import Flags, FlagSettings
from accord.runtime import App
from bench.apps import accord_full
from bench.apps.accord_full import Bench, BenchService, OrderPlaced, PlaceOrder
from shop.orders.flags import PAUSE_ORDERS, STRICT_CARD_TOKENS

__all__ = ["PATHS", "FlaggedService", "create_app"]

PATHS = accord_full.PATHS


class FlaggedService(BenchService):
    """Places the order after asking the two flags about its customer."""

    def __init__(self, flags: Flags) -> None:
        self._flags = flags

    async def place_order(self, request: PlaceOrder) -> OrderPlaced:
        """The flags' answers are read (a paused shop would refuse), then the order."""
        customer = request.customer_id
        if self._flags.value(PAUSE_ORDERS, targeting_key=customer):
            raise RuntimeError("the benchmark's flags file pauses orders")
        self._flags.value(STRICT_CARD_TOKENS, targeting_key=customer)
        return await super().place_order(request)


def create_app() -> App:
    """``accord_full``'s app, with the flags of ``$BENCH_FLAGS_FILE`` when it is set."""
    telemetry = accord_full.configure_telemetry()
    path = os.environ.get("BENCH_FLAGS_FILE")
    if not path:
        return App(Bench, BenchService(), telemetry=telemetry)
    flags = Flags.open(
        FlagSettings(provider="file", path=str(Path(path))),
        service=Bench.name,
        version=Bench.version,
        telemetry=telemetry,
    )
    return App(Bench, FlaggedService(flags), telemetry=telemetry)
