"""What mutual TLS costs the shop: order placing over TLS vs plain HTTP, in the same run.

```
.venv/bin/python bench/tls.py [--seconds 5] [--rounds 3] [--concurrency 8]
                              [--out bench/results/tls.json]
```

It starts three shops with ``accord up`` at once (free ports, temporary homes): one with
mutual TLS (the default; Envoy passes TCP through, every call between services is mutual
TLS, and a kept-alive connection is closed after its first response past 1 s, so Envoy
weighs connections again), the same with connections kept for an hour
(``tls_kept_alive``: what those reconnections cost), and one with ``--plain`` (Envoy
routes HTTP). Customers place
orders (``POST /v1/orders``: orders calls identity's keys, inventory and payments) from
``--concurrency`` closed-loop workers sharing one keep-alive client, alternately against
each shop in interleaved rounds, so a machine's changing load falls on both alike; the
TLS customers present a certificate of the shop's CA. Per path: req/s, p50 and p99 (each
the median of the rounds), and errors.

Prints a table and writes ``bench/results/tls.json``. Nothing here is asserted.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/http.py would shadow the standard library's http: this folder off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness.upshop import Shop, closed_loop  # noqa: E402


def _shop(tls: bool, max_age: str | None = None) -> Shop:
    mode = "tls" if tls else "plain"
    return Shop(
        tls=tls, prefix=f"bench-tls-{mode}-", max_age=max_age, extra=("--console-port", "0")
    )


def _round(
    shop: Shop, customers: list[dict[str, str]], seconds: float, workers: int
) -> dict[str, float]:
    loop = closed_loop(
        shop.url("orders"), customers, seconds, workers, verify=shop.verify("orders")
    )
    return asyncio.run(loop)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "tls.json")
    args = parser.parse_args()
    shops = {
        "plain": _shop(tls=False),
        "tls": _shop(tls=True),
        # the same without the 1 s connection age: what the reconnections cost
        "tls_kept_alive": _shop(tls=True, max_age="3600"),
    }
    try:
        for shop in shops.values():
            shop.start()
        for shop in shops.values():
            shop.wait()
        people = {name: shop.customers(8) for name, shop in shops.items()}
        for name, shop in shops.items():  # warm: connections, key sets, first queries
            _round(shop, people[name], 1.0, args.concurrency)
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name in shops}
        for _ in range(args.rounds):
            for name, shop in shops.items():
                rounds[name].append(_round(shop, people[name], args.seconds, args.concurrency))
    finally:
        for shop in shops.values():
            shop.stop()
    figures = {
        name: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        for name, runs in rounds.items()
    }
    report(figures, args)


def report(figures: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    """Print the table and write the JSON."""
    table = Table(title="POST /v1/orders through Envoy: mutual TLS vs plain HTTP")
    for col in ("path", "req/s", "p50 ms", "p99 ms", "errors"):
        table.add_column(col, justify="right" if col != "path" else "left")
    for name, f in figures.items():
        table.add_row(
            name, f"{f['rps']:.1f}", f"{f['p50_ms']:.1f}", f"{f['p99_ms']:.1f}", f"{f['errors']:g}"
        )
    Console().print(table)
    plain, tls = figures["plain"], figures["tls"]
    ratio = tls["rps"] / plain["rps"] if plain["rps"] else 0.0
    print(f"TLS throughput: {ratio:.0%} of plain; p99 {tls['p99_ms'] - plain['p99_ms']:+.1f} ms")
    kept = figures["tls_kept_alive"]
    print(f"TLS with connections kept alive: {kept['rps'] / max(plain['rps'], 1e-9):.0%} of plain")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": "tls",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average": list(os.getloadavg())},
        "settings": {"seconds": args.seconds, "rounds": args.rounds,
                     "concurrency": args.concurrency},
        "results": figures,
        "tls_rps_share_of_plain": round(ratio, 3),
    }  # fmt: skip
    args.out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
