"""The shop under chaos: customers placing orders while its services are killed and faulted.

Registered in ``accord.toml`` (``[project] chaos = "shop.chaos:ShopScenario"``), played
by accord's chaos engine (:mod:`accord.chaos`). The load (:mod:`shop.chaos.load`) places
orders from every worker, each sent ``duplicates`` times at once with one
``Idempotency-Key`` and sent again with that key while no final answer came, while the
schedule does, a fraction of the run each:

==========  ==============================================================================
at          what
==========  ==============================================================================
10 %        ``kill -9`` inventory (the supervisor restarts it)
25 %        ``kill -9`` payments
40 %        ``kill -9`` inventory, then its faults on, live: 30 % of requests delayed 0.3 s,
            10 % answered 503
50 %        ``kill -9`` orders (placements in flight are retried with their keys)
60 %        ``kill -9`` payments, then every request to it answered 503, live (its breaker
            in orders opens)
75 %        both services' faults off, live (the breaker closes again)
85 %        ``kill -9`` orders again
==========  ==============================================================================

Faults go on and off by editing the services' configuration files: the same processes
apply them. Once the load stopped, the run waits until nothing is held any more (the
recovery in orders lets go of what failed orders left behind), and the services' own
data is read back through their APIs and audited (:mod:`shop.chaos.audit`), per order
and per key.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from accord.chaos import Figure, Run, Step
from accord.chaos.logs import BreakerOpening
from accord.chaos.report import percentile
from accord.runtime.faults import AbortFault, DelayFault, FaultConfig
from shop.chaos import reads
from shop.chaos.audit import (
    PerKey,
    Tally,
    amplification,
    key_of_note,
    per_key,
    settled_at_processor,
    tally,
)
from shop.chaos.credentials import Credentials, obtain
from shop.chaos.figures import ShopAudit, figures
from shop.chaos.load import Load, worker
from shop.chaos.logs import BreakerRejections

__all__ = ["DOWN", "RECOVERY_WAIT", "SLOW", "ShopScenario"]

#: Inventory's faults from 40 %, and payments' from 60 %.
SLOW = FaultConfig(
    delay=DelayFault(seconds=0.3, percent=30), abort=AbortFault(status=503, percent=10)
)
DOWN = FaultConfig(abort=AbortFault(status=503, percent=100))
#: Seconds after orders is back before its recovery has finished interrupted placements
#: that no retry resumed: a placement claimed just before the kill drives its order for
#: the key's lease (twice the operation's timeout, 16 s), then the recovery waits its
#: grace (5 s) and needs a round or two.
RECOVERY_WAIT = 23.0
_TO_PAYMENTS = {"downstream": "payments"}


class ShopScenario:
    """The shop's workload, schedule and audit (the module docstring); ``customers``
    registered with identity place the orders, each sent ``duplicates`` times at once."""

    environ: Mapping[str, str] = {"INVENTORY_SEED": "demo"}

    def __init__(self, *, duplicates: int = 3, customers: int = 8) -> None:
        self.duplicates, self.customers = duplicates, customers
        self.load = Load()
        self.rejections = BreakerRejections()
        self.opening = BreakerOpening("orders", "payments")
        self.creds = Credentials()
        self.before: dict[str, int] = {}
        self.when_down: float | None = None
        self.closed: float | None = None
        self._down_from: dict[str, float] | None = None
        self._http = httpx.AsyncClient()
        self._ops = httpx.AsyncClient()
        self.schedule = (
            Step(0.10, kill=("inventory",), opens=True, closes=True),
            Step(0.25, kill=("payments",), opens=True, closes=True),
            Step(0.40, kill=("inventory",), faults={"inventory": SLOW}, opens=True),
            Step(0.50, kill=("orders",)),
            Step(
                0.60,
                kill=("payments",),
                faults={"payments": DOWN},
                before=self._arm,
                after=self._read_down_from,
            ),
            Step(
                0.75,
                faults={"inventory": None, "payments": None},
                before=self._measure_down,
                after=self._wait_breaker_closed,
                closes=True,
            ),
            Step(0.85, kill=("orders",), opens=True, closes=True),
        )

    async def prepare(self, run: Run) -> Mapping[str, str]:
        """Customers and the operator's token; the stock before the run."""
        limits = httpx.Limits(max_connections=run.config.concurrency * self.duplicates + 8)
        await self._http.aclose()
        self._http = httpx.AsyncClient(timeout=15.0, limits=limits)
        self.creds = await obtain(
            self._http, run.urls.get("identity"), run.home, customers=self.customers
        )
        run.say(f"{len(self.creds.customers)} customer(s) ready")
        await self._ops.aclose()
        self._ops = httpx.AsyncClient(timeout=10.0, headers=self.creds.operator)
        await reads.warm_up(self._ops, run.urls, run.say)
        stock = await reads.stock(self._ops, run.urls["inventory"])
        self.before = {row.sku: row.total for row in stock}
        return self.creds.operator

    async def work(self, run: Run, rng: random.Random, stop: asyncio.Event) -> None:
        """Place orders until ``stop`` (:func:`shop.chaos.load.worker`)."""
        await worker(
            self._http,
            run.urls["orders"],
            rng,
            sorted(self.before),
            self.creds,
            self.duplicates,
            self.load,
            stop,
            run.record,
        )

    def on_line(self, service: str, line: str) -> None:
        """Orders' lines: placements an open breaker refused, calls before it opened."""
        self.rejections.feed(service, line)
        self.opening.feed(service, line)

    async def _arm(self, run: Run) -> None:
        self.opening.arm()  # payments is down from its kill on
        self._down_from = None

    async def _read_down_from(self, run: Run) -> None:
        self._down_from = await run.counters("orders", _TO_PAYMENTS)

    async def _measure_down(self, run: Run) -> None:
        """Attempts per call from orders to payments while payments failed everything."""
        if self._down_from is None:
            return
        to = await run.counters("orders", _TO_PAYMENTS)
        self.when_down = amplification(
            to.get("accord_client_attempts", 0.0)
            - self._down_from.get("accord_client_attempts", 0.0),
            to.get("accord_client_calls", 0.0) - self._down_from.get("accord_client_calls", 0.0),
        )

    async def _wait_breaker_closed(self, run: Run) -> None:
        """Seconds from the faults going off until orders' breaker to payments closed."""
        back = time.monotonic()
        deadline = back + 20.0
        while time.monotonic() < deadline:
            state = await run.breaker_state("orders", "payments")
            if state == 0.0:
                self.closed = round(time.monotonic() - back, 2)
                return
            if state is None:
                return  # no breaker exported
            await asyncio.sleep(0.1)

    async def settle(self, run: Run) -> None:
        """Give orders' recovery its time after its last kill; wait until nothing is held."""
        run.say(f"load stopped: {self.load.attempted} orders attempted; settling")
        back = run.back.get("orders")
        if back is not None:
            # Placements orders was running when killed are finished by its recovery once
            # they are past its grace: give it that long before reading anything back.
            await asyncio.sleep(max(0.0, back + RECOVERY_WAIT - time.monotonic()))
        await reads.settle(self._ops, run.urls, run.config.settle_timeout, run.say)

    async def audit(self, run: Run, standard: Mapping[str, Figure]) -> list[Figure]:
        """The shop's figures (:mod:`shop.chaos.figures`), counted from its data."""
        counted, keyed = await self._invariants(run)
        load, refused = self.load, percentile(self.rejections.durations(), 99)
        audited = ShopAudit(
            orders_attempted=load.attempted,
            orders_acknowledged=len(load.acknowledged),
            orders_rejected=load.rejected,
            orders_unavailable=load.unavailable,
            invariants=counted,
            per_key=keyed,
            keys_retried=load.retried,
            orders_killed=run.kills["orders"],
            retry_amplification_when_down=(
                None if self.when_down is None else round(self.when_down, 3)
            ),
            breaker_open_after_calls=self.opening.failed_calls,
            breaker_close_seconds=self.closed,
            open_rejection_p99_ms=None if refused is None else round(refused, 1),
            answers=dict(load.answers.most_common()),
        )
        return figures(audited, standard)

    async def _invariants(self, run: Run) -> tuple[Tally, PerKey]:
        """Per order and per key, from every order the answers, inventory and payments
        name (each order's key read from its note)."""
        ops, urls = self._ops, run.urls
        authorizations = await reads.authorizations(ops, urls["payments"])
        reservations = await reads.reservations(ops, urls["inventory"])
        ids = {oid for oids in self.load.acknowledged.values() for oid in oids}
        ids |= {a.order_id for a in authorizations} | {r.order_id for r in reservations}
        info = await reads.orders_info(ops, urls["orders"], ids)
        settled = _settled(run.home / "processor.jsonl")
        counted = tally(
            acknowledged=self.load.acknowledged,
            orders={oid: status for oid, (status, _) in info.items()},
            before=self.before,
            after=await reads.stock(ops, urls["inventory"]),
            reservations=reservations,
            authorizations=authorizations,
            settled=settled,
        )
        keys = {oid: key_of_note(note) for oid, (_, note) in info.items()}
        return counted, per_key(keys, reservations, authorizations, settled)

    async def close(self) -> None:
        """Close the scenario's HTTP clients."""
        await self._http.aclose()
        await self._ops.aclose()


def _settled(journal: Path) -> dict[str, int]:
    """What the card processor settled per order (nothing when it keeps no journal)."""
    try:
        return settled_at_processor(journal.read_text(encoding="utf-8").splitlines())
    except OSError:
        return {}
