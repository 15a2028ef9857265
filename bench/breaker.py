"""How fast an open circuit breaker refuses a call.

::

    .venv/bin/python bench/breaker.py [--calls 2000] [--out bench/results/breaker.json]

An open breaker exists to fail fast: a caller that would wait for a dead downstream gets
:class:`~accord.resilience.BreakerOpen` at once instead. Two figures:

- ``breaker``: :meth:`CircuitBreaker.acquire` alone, the mechanism;
- ``client``: a typed client's call refused by its open breaker, everything the client
  does before it would send (the request is built, the guards consulted), over an
  ``httpx.MockTransport`` that answers 503 until the breaker opens and is never reached
  afterwards.

The target is a p99 under 5 ms for both (what the resilience docs promise). It prints a
table and writes JSON; it measures, it does not judge: ``make test`` asserts only that
the refusals happen and that nothing is sent while the breaker is open.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

# The script's own folder holds ``http.py``, which would shadow the standard library's.
sys.path[0] = str(Path(__file__).resolve().parents[1])

import httpx  # noqa: E402 - needs the path above
import msgspec  # noqa: E402 - needs the path above
from rich.console import Console  # noqa: E402 - needs the path above
from rich.table import Table  # noqa: E402 - needs the path above

from accord import Contract, Idempotency, operation  # noqa: E402 - needs the path above
from accord.errors import Unavailable  # noqa: E402 - needs the path above
from accord.resilience import BreakerConfig, BreakerOpen, CircuitBreaker  # noqa: E402 - needs the path above

TARGET_P99_MS = 5.0
_CONFIG = BreakerConfig(
    minimum_number_of_calls=4, sliding_window_size=4, wait_duration_in_open_state=600.0
)


class Ref(msgspec.Struct, kw_only=True):
    sku: str


class Item(msgspec.Struct, kw_only=True):
    sku: str


class Catalog(Contract, name="catalog", version="1.0.0"):
    """A downstream that is down for the whole measurement."""

    get_item = operation(
        Ref, Item, method="GET", path="/items/{sku}", idempotency=Idempotency.READ_ONLY
    )


def _figures(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "calls": len(ordered),
        "mean_us": round(statistics.fmean(ordered) * 1e6, 2),
        "p50_us": round(ordered[len(ordered) // 2] * 1e6, 2),
        "p99_us": round(ordered[int(len(ordered) * 0.99) - 1] * 1e6, 2),
    }


def _timed(calls: int, refuse: Callable[[], None]) -> list[float]:
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        refuse()
        samples.append(time.perf_counter() - started)
    return samples


def bare_breaker(calls: int) -> dict[str, float]:
    """The mechanism alone: ``acquire()`` on an open breaker."""
    breaker = CircuitBreaker("catalog", _CONFIG)
    for _ in range(_CONFIG.minimum_number_of_calls):
        breaker.acquire().failure()

    def refuse() -> None:
        try:
            breaker.acquire()
        except BreakerOpen:
            return
        raise RuntimeError("the breaker let a call through")

    return _figures(_timed(calls, refuse))


async def client_breaker(calls: int) -> dict[str, float]:
    """A typed client's call refused by its open breaker."""
    sent = 0

    def down(_: httpx.Request) -> httpx.Response:
        nonlocal sent
        sent += 1
        return httpx.Response(
            503,
            json={"status": 503, "code": "unavailable"},
            headers={"content-type": "application/problem+json"},
        )

    transport = httpx.MockTransport(down)
    async with Catalog.client(
        "http://catalog.test", transport=transport, retry=None, breaker=_CONFIG
    ) as catalog:
        while True:
            try:
                await catalog.get_item(Ref(sku="A-1"))
            except Unavailable:
                continue
            except BreakerOpen:
                break
        opened_after = sent
        samples = []
        for _ in range(calls):
            started = time.perf_counter()
            try:
                await catalog.get_item(Ref(sku="A-1"))
            except BreakerOpen:
                samples.append(time.perf_counter() - started)
                continue
            raise RuntimeError("the breaker let a call through")
    if sent != opened_after:
        raise RuntimeError(f"{sent - opened_after} calls reached the transport while open")
    return _figures(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path("bench/results/breaker.json"))
    args = parser.parse_args(argv)

    results = {
        "breaker": bare_breaker(args.calls),
        "client": asyncio.run(client_breaker(args.calls)),
    }
    table = Table(title=f"open-breaker refusals ({args.calls} calls each)")
    for column in ("what", "mean µs", "p50 µs", "p99 µs", f"p99 < {TARGET_P99_MS:.0f} ms"):
        table.add_column(column, justify="right" if column != "what" else "left")
    for name, figures in results.items():
        ok = figures["p99_us"] < TARGET_P99_MS * 1000
        table.add_row(
            name,
            f"{figures['mean_us']:.1f}",
            f"{figures['p50_us']:.1f}",
            f"{figures['p99_us']:.1f}",
            "PASS" if ok else "FAIL",
        )
    Console().print(table)
    document = {"target_p99_ms": TARGET_P99_MS, "results": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    print(json.dumps(document))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
