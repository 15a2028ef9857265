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
import secrets  # noqa: E402
import ssl  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from accord.security import CertStore  # noqa: E402
from accord.security.tls import TLSConfig, client_context  # noqa: E402
from tests.support.processes import free_port, stop  # noqa: E402

SERVICES = ("identity", "orders", "inventory", "payments")
SKUS = ("SKU-APPLE", "SKU-PEAR")
CLIENT = "bench-customer"


class Shop:
    """``accord up`` (``--tls`` or ``--plain``) in a temporary home."""

    def __init__(self, tls: bool, *, max_age: str | None = None) -> None:
        self.tls = tls
        self.home = Path(tempfile.mkdtemp(prefix=f"bench-tls-{'tls' if tls else 'plain'}-"))
        self.ports = {name: free_port() for name in SERVICES}
        self.env = {**os.environ, "ACCORD_HOME": str(self.home)}
        if max_age is not None:  # how long a connection carries requests behind Envoy
            self.env["ACCORD_CONNECTION_MAX_AGE"] = max_age
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, name: str) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.ports[name]}"

    def verify(self, peer: str) -> ssl.SSLContext | bool:
        if not self.tls:
            return True
        return client_context(TLSConfig(self.home / "certs", CLIENT), peer)

    def start(self) -> None:
        mode = "--tls" if self.tls else "--plain"
        argv = [sys.executable, "-m", "accord", "up", mode, "--raw", "--console-port", "0"]
        for name, port in self.ports.items():
            argv += ["--port", f"{name}={port}"]
        log = (self.home / "up.log").open("wb")
        self.proc = subprocess.Popen(
            argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def wait(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while not (self.home / "run.json").exists():
            if self.proc is not None and self.proc.poll() is not None:
                raise SystemExit(f"accord up exited: {(self.home / 'up.log').read_text()[-800:]}")
            if time.monotonic() > deadline:
                raise SystemExit(f"accord up did not start within {timeout:g}s")
            time.sleep(0.2)
        if self.tls:
            CertStore(self.home / "certs").issue(CLIENT)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)

    def customers(self, n: int) -> list[dict[str, str]]:
        out = []
        with httpx.Client(verify=self.verify("identity"), timeout=30) as http:
            for _ in range(n):
                account = {"email": f"t-{secrets.token_hex(6)}@bench.shop", "password": "pw 123456"}
                key = {"idempotency-key": secrets.token_hex(8)}
                http.post(self.url("identity") + "/v1/customers", json=account, headers=key)
                r = http.post(self.url("identity") + "/v1/login", json=account)
                r.raise_for_status()
                out.append({"authorization": f"Bearer {r.json()['access_token']}"})
        return out


def _order_body(n: int) -> dict[str, Any]:
    return {"items": [{"sku": SKUS[n % 2], "quantity": 1}], "card_token": "tok_visa_4242"}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def closed_loop(
    shop: Shop, customers: list[dict[str, str]], seconds: float, workers: int
) -> dict[str, float]:
    """``workers`` customers placing orders back to back for ``seconds``."""
    latencies: list[float] = []
    errors = 0
    end = time.monotonic() + seconds
    base = shop.url("orders")

    async def worker(w: int, http: httpx.AsyncClient) -> None:
        nonlocal errors
        n = w
        while time.monotonic() < end:
            headers = {**customers[n % len(customers)], "idempotency-key": secrets.token_hex(8)}
            t0 = time.perf_counter()
            try:
                r = await http.post(base + "/v1/orders", json=_order_body(n), headers=headers)
                errors += r.status_code >= 500
            except httpx.HTTPError:
                errors += 1
            latencies.append((time.perf_counter() - t0) * 1000)
            n += workers

    async with httpx.AsyncClient(timeout=30, verify=shop.verify("orders")) as http:
        await asyncio.gather(*(worker(w, http) for w in range(workers)))
    return {
        "rps": len(latencies) / seconds,
        "p50_ms": _percentile(latencies, 0.50),
        "p99_ms": _percentile(latencies, 0.99),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "tls.json")
    args = parser.parse_args()
    shops = {
        "plain": Shop(tls=False),
        "tls": Shop(tls=True),
        # the same without the 1 s connection age: what the reconnections cost
        "tls_kept_alive": Shop(tls=True, max_age="3600"),
    }
    try:
        for shop in shops.values():
            shop.start()
        for shop in shops.values():
            shop.wait()
        people = {name: shop.customers(8) for name, shop in shops.items()}
        for name, shop in shops.items():  # warm: connections, key sets, first queries
            asyncio.run(closed_loop(shop, people[name], 1.0, args.concurrency))
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name in shops}
        for _ in range(args.rounds):
            for name, shop in shops.items():
                rounds[name].append(
                    asyncio.run(closed_loop(shop, people[name], args.seconds, args.concurrency))
                )
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
