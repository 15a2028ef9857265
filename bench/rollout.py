"""Releases behind Envoy, measured: what Envoy costs, and what a rollout costs customers.

```
.venv/bin/python bench/rollout.py [--orders-per-minute 240] [--reads-per-second 40]
                                  [--cost-seconds 5] [--cost-rounds 2] [--concurrency 8]
                                  [--interval 8] [--min-requests 100]
                                  [--out bench/results/rollout.json]
```

It starts the shop with ``accord up`` (free ports, a temporary home), then:

1. **Envoy's cost**: customers place orders (``POST /v1/orders``) from ``--concurrency``
   closed-loop workers, alternately through Envoy (orders' well-known port) and directly
   (orders' own port, from the run file), in interleaved rounds; p50/p99 and req/s per
   path, each the median of the rounds. Orders' own calls to inventory and payments go
   through Envoy either way: "direct" removes the customer's hop only.
2. **Rollouts under load**: a steady open-loop load of orders (``--orders-per-minute``,
   at least 200) and order listings (``--reads-per-second``, so a 5 % canary sees
   requests soon) runs while, one after the other, a bad canary (20 % of its answers
   503), a slow canary (+300 ms), a good canary, and a blue-green switch followed by
   ``accord rollback`` run against orders (blue-green judged with a latency threshold
   of 1 s: it measures switching, and a green taking all traffic cold on a busy machine
   misses 250 ms at first). For each: the outcome, the reason, the
   rollout's own figures (``detection_seconds``: the candidate's first bad answer seen in
   Envoy's statistics to its weight 0 running in Envoy; ``switch_seconds``), and the
   customers' side: requests sent during it and those that failed (5xx or no answer).

Prints a table and writes ``bench/results/rollout.json``. Nothing here is asserted.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/http.py would shadow the standard library's http: this folder off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness.upshop import Shop, closed_loop, order_body  # noqa: E402


def measure_cost(
    shop: Shop, customers: list[dict[str, str]], args: argparse.Namespace
) -> dict[str, Any]:
    targets = {"through_envoy": shop.url("orders"), "direct": shop.direct_url("orders")}
    rounds: dict[str, list[dict[str, float]]] = {k: [] for k in targets}
    for _ in range(args.cost_rounds):
        for name, base in targets.items():
            rounds[name].append(
                asyncio.run(closed_loop(base, customers, args.cost_seconds, args.concurrency))
            )
    return {
        name: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        for name, runs in rounds.items()
    }


class Load:
    """An open-loop load of orders and listings in a thread; every answer timestamped."""

    def __init__(
        self, shop: Shop, customers: list[dict[str, str]], args: argparse.Namespace
    ) -> None:
        self.base = shop.url("orders")
        self.customers = customers
        self.order_gap = 60.0 / args.orders_per_minute
        self.read_gap = 1.0 / args.reads_per_second if args.reads_per_second else 0.0
        self.log: list[tuple[float, str, int]] = []  # (time, kind, status; 0: no answer)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _send(self, http: httpx.AsyncClient, kind: str, n: int) -> None:
        auth = self.customers[n % len(self.customers)]
        try:
            if kind == "order":
                headers = {**auth, "idempotency-key": secrets.token_hex(8)}
                r = await http.post(self.base + "/v1/orders", json=order_body(n), headers=headers)
            else:
                r = await http.get(self.base + "/v1/orders?limit=1", headers=auth)
            self.log.append((time.monotonic(), kind, r.status_code))
        except httpx.HTTPError:
            self.log.append((time.monotonic(), kind, 0))

    async def _pace(self, http: httpx.AsyncClient, kind: str, gap: float) -> None:
        n, tasks, start = 0, set(), time.monotonic()
        while not self._stop.is_set():
            task = asyncio.ensure_future(self._send(http, kind, n))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            n += 1
            await asyncio.sleep(max(0.0, start + n * gap - time.monotonic()))
        await asyncio.gather(*tasks)

    async def _run(self) -> None:
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=200)) as http:
            pacers = [self._pace(http, "order", self.order_gap)]
            if self.read_gap:
                pacers.append(self._pace(http, "read", self.read_gap))
            await asyncio.gather(*pacers)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)

    def window(self, t0: float, t1: float) -> dict[str, int]:
        seen = [(kind, status) for t, kind, status in self.log if t0 <= t <= t1]
        return {
            "requests": len(seen),
            "orders": sum(1 for kind, _ in seen if kind == "order"),
            "failed": sum(1 for _, status in seen if status == 0 or status >= 500),
            "failed_orders": sum(1 for k, s in seen if k == "order" and (s == 0 or s >= 500)),
        }


def _accord(shop: Shop, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "accord", *args],
        cwd=ROOT, env=shop.env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip


def run_rollout(
    shop: Shop, load: Load, label: str, extra: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    t0 = time.monotonic()
    done = _accord(
        shop, "rollout", "orders", label, "--working-tree", "--json",
        "--interval", str(args.interval), "--min-requests", str(args.min_requests),
        "--step-timeout", str(args.step_timeout), *extra,
    )  # fmt: skip
    t1 = time.monotonic()
    try:
        result = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise SystemExit(f"rollout {label} printed no result: {done.stderr.strip()}") from None
    customers = load.window(t0, t1)
    return {
        "outcome": result["outcome"],
        "reason": result["reason"],
        "exit": done.returncode,
        "steps": len(result["steps"]),
        "detection_seconds": result["detection_seconds"],
        "switch_seconds": result["switch_seconds"],
        "duration_seconds": round(t1 - t0, 2),
        "envoy_requests": result["requests"],
        "envoy_failed_requests": result["failed_requests"],
        "customer_requests": customers["requests"],
        "customer_orders": customers["orders"],
        "customer_failed": customers["failed"],
        "customer_failed_share": customers["failed"] / max(1, customers["requests"]),
    }


def run_rollback(shop: Shop, load: Load) -> dict[str, Any]:
    t0 = time.monotonic()
    done = _accord(shop, "rollback", "orders")
    time.sleep(1.0)
    t1 = time.monotonic()
    found = re.search(r"in (\d+) ms", done.stdout)
    customers = load.window(t0, t1)
    return {
        "exit": done.returncode,
        "switch_seconds": int(found.group(1)) / 1000 if found else None,
        "customer_requests": customers["requests"],
        "customer_failed": customers["failed"],
    }


def scenarios(
    shop: Shop, customers: list[dict[str, str]], args: argparse.Namespace
) -> dict[str, Any]:
    load = Load(shop, customers, args)
    load.start()
    try:
        time.sleep(3)  # the load settles before anything changes
        bad = json.dumps({"abort": {"status": 503, "percent": 20}})
        slow = json.dumps({"delay": {"seconds": 0.3}})
        out = {
            "bad_canary": run_rollout(shop, load, "bad", ["--faults", bad], args),
            "slow_canary": run_rollout(shop, load, "slow", ["--faults", slow], args),
            "good_canary": run_rollout(shop, load, "good", [], args),
            # This one measures the switch and the rollback, not the judging: a green that
            # takes all of a busy machine's traffic cold would miss 250 ms at first.
            "blue_green": run_rollout(
                shop, load, "green", ["--strategy", "blue-green", "--latency-threshold", "1"], args
            ),
        }
        out["blue_green_rollback"] = run_rollback(shop, load)
        time.sleep(2)
        orders = [s for t, k, s in load.log if k == "order"]
        elapsed = (load.log[-1][0] - load.log[0][0]) if load.log else 1.0
        out["load"] = {
            "orders_per_minute": round(len(orders) / elapsed * 60, 1),
            "requests": len(load.log),
            "failed": sum(1 for _, _, s in load.log if s == 0 or s >= 500),
        }
        return out
    finally:
        load.stop()


def _table(report: dict[str, Any]) -> Table:
    table = Table(title="rollouts under load (orders)", title_justify="left")
    for col in (
        "scenario",
        "outcome",
        "detect s",
        "switch s",
        "customer req",
        "failed",
        "failed %",
        "reason",
    ):
        table.add_column(col)
    for name in ("bad_canary", "slow_canary", "good_canary", "blue_green"):
        r = report["scenarios"][name]
        table.add_row(
            name, r["outcome"],
            "-" if r["detection_seconds"] is None else f"{r['detection_seconds']:.2f}",
            "-" if r["switch_seconds"] is None else f"{r['switch_seconds']:.3f}",
            str(r["customer_requests"]), str(r["customer_failed"]),
            f"{r['customer_failed_share'] * 100:.2f}", r["reason"][:60],
        )  # fmt: skip
    back = report["scenarios"]["blue_green_rollback"]
    table.add_row(
        "blue_green rollback", "rolled_back" if back["exit"] == 0 else f"exit {back['exit']}",
        "-", "-" if back["switch_seconds"] is None else f"{back['switch_seconds']:.3f}",
        str(back["customer_requests"]), str(back["customer_failed"]), "", "",
    )  # fmt: skip
    return table


def _cost_table(cost: dict[str, Any]) -> Table:
    table = Table(title="order endpoint: through Envoy vs direct", title_justify="left")
    for col in ("path", "req/s", "p50 ms", "p99 ms", "5xx"):
        table.add_column(col)
    for name, r in cost.items():
        table.add_row(
            name,
            f"{r['rps']:.1f}",
            f"{r['p50_ms']:.1f}",
            f"{r['p99_ms']:.1f}",
            f"{r['errors']:.0f}",
        )
    return table


def _interrupted(_sig: int, _frame: object) -> None:
    raise KeyboardInterrupt  # stops the shop on the way out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders-per-minute", type=float, default=240)
    parser.add_argument("--reads-per-second", type=float, default=40)
    parser.add_argument("--cost-seconds", type=float, default=5)
    parser.add_argument("--cost-rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--interval", type=float, default=8)
    parser.add_argument("--min-requests", type=int, default=100)
    parser.add_argument("--step-timeout", type=float, default=180)
    parser.add_argument("--customers", type=int, default=12)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/rollout.json")
    args = parser.parse_args()
    # --plain: Envoy routes HTTP, so "through Envoy" and "direct" compare one hop
    # (bench/tls.py measures mutual TLS against plain).
    shop = Shop(tls=False, prefix="bench-rollout-")
    signal.signal(signal.SIGTERM, _interrupted)
    console = Console(width=160)
    try:
        shop.start()
        shop.wait()
        customers = shop.customers(args.customers)
        cost = measure_cost(shop, customers, args)
        console.print(_cost_table(cost))
        report = {
            "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "envoy_cost": cost,
            "scenarios": scenarios(shop, customers, args),
        }
    finally:
        shop.stop()
    console.print(_table(report))
    load = report["scenarios"]["load"]
    console.print(
        f"load: {load['orders_per_minute']} orders/min, {load['requests']} requests, "
        f"{load['failed']} failed"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
