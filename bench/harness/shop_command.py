"""The ``bench/shop.py`` command: start each shop, place orders with wrk, report."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from bench.harness import shop_accord, wrk
from bench.harness.shop_system import RunningSystem, StartFailed
from bench.harness.shopload import ProcessMeter, order_script, rss_bytes

__all__ = ["CONCURRENCY", "main", "parse_args", "run_figures"]

_BENCH = Path(__file__).resolve().parents[1]
DEFAULT_OUT = _BENCH / "results" / "shop.json"
#: Concurrent clients of each measurement, as named in the results.
CONCURRENCY = {"c1": 1, "c4": 4, "c16": 16}
#: The SKUs orders rotate over (the shop's catalogue; the twin seeds the same).
SKUS = ("SKU-APPLE", "SKU-PEAR", "SKU-COFFEE", "SKU-TEA")
#: wrk waits this long for an answer (orders' own deadline is 8 s) before counting a
#: timeout, so a slow answer counts in the latency instead of as a failure.
WRK_TIMEOUT_S = 10
#: Orders per second no system reaches here: stock for this rate never runs out.
_STOCK_RATE = 1_000
SYSTEMS = ("accord", "twin")
DATABASES = ("sqlite", "postgresql")

Starter = Callable[[Path, Path, int, dict[str, str] | None], RunningSystem]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Read the command line; ``--quick`` is 3 s per measurement after 1 s of warm-up."""
    parser = argparse.ArgumentParser(
        prog="bench/shop.py", description="The shop end to end: accord against its twin."
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before each")
    parser.add_argument("--customers", type=int, default=50, help="customers placing orders")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="accord,twin")
    parser.add_argument("--databases", default=",".join(DATABASES), help="sqlite,postgresql")
    parser.add_argument("--clients", default=",".join(CONCURRENCY), help="c1,c4,c16")
    parser.add_argument("--quick", action="store_true", help="3 s runs, 1 s warm-up")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON file")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup = 3.0, 1.0
    for name, allowed in (
        ("systems", SYSTEMS),
        ("databases", DATABASES),
        ("clients", tuple(CONCURRENCY)),
    ):
        chosen = [v.strip() for v in getattr(args, name).split(",") if v.strip()]
        unknown = sorted(set(chosen) - set(allowed))
        if unknown or not chosen:
            parser.error(f"--{name} takes some of {','.join(allowed)}, not {unknown}")
        setattr(args, name, chosen)
    return args


def run_figures(
    requests: int,
    seconds: float,
    failed: int,
    result: wrk.WrkResult,
    cpu_s: dict[str, float],
    beside_s: dict[str, float] | None = None,
) -> dict[str, Any]:
    """One measurement as the results document keeps it (``beside_s``: the CPU of the
    system's processes that are not services, reported apart)."""
    per_order = 1e3 / max(requests, 1)
    beside = {n: round(s * per_order, 2) for n, s in (beside_s or {}).items()}
    return {
        "orders_per_s": round((requests - failed) / seconds, 1),
        "p50_ms": round(result.p50_ms, 2),
        "p99_ms": round(result.p99_ms, 2),
        "cpu_ms_per_order": round(sum(cpu_s.values()) * per_order, 2),
        "failed": failed,
        "cpu_ms_per_order_by_service": {n: round(s * per_order, 2) for n, s in cpu_s.items()},
        "cpu_ms_per_order_beside": beside,
    }


def _beside(figures: dict[str, Any]) -> str:
    """`` (+ up 0.1, envoy 1.0 beside)``: the CPU of the processes that are not services."""
    beside = figures.get("cpu_ms_per_order_beside") or {}
    if not beside:
        return ""
    return " (+ " + ", ".join(f"{n} {v:.2f}" for n, v in beside.items()) + " beside)"


def failed_statuses(script_output: str) -> dict[str, int]:
    """``{"409": 3}`` from the order script's ``failed status 409: 3`` lines."""
    found: dict[str, int] = {}
    for line in script_output.splitlines():
        if line.startswith("failed status "):
            status, _, count = line.removeprefix("failed status ").partition(": ")
            found[status] = found.get(status, 0) + int(count)
    return found


def _starters() -> dict[str, Starter]:
    def accord(home: Path, log: Path, customers: int, dbs: dict[str, str] | None) -> RunningSystem:
        return shop_accord.start_accord(home, log, customers=customers, databases=dbs)

    def twin(home: Path, log: Path, customers: int, dbs: dict[str, str] | None) -> RunningSystem:
        from bench.harness import shop_twin

        return shop_twin.start_twin(home, log, customers=customers, databases=dbs)

    return {"accord": accord, "twin": twin}


def _measure_system(
    system: RunningSystem, args: argparse.Namespace, scratch: Path, console: Console
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every concurrency on one running system: its runs, and its process figures."""
    time.sleep(1.0)
    idle_rss = sum(rss_bytes(p) for p in system.pids.values())
    url = system.urls["orders"] + system.order_path
    runs: dict[str, Any] = {}
    peak = idle_rss
    for label in args.clients:
        clients = CONCURRENCY[label]
        system.restock(SKUS, int(_STOCK_RATE * (args.duration + args.warmup) / len(SKUS)) + 1)

        def script() -> Path:
            # A script of its own for every wrk run: its idempotency keys are new (a key
            # seen before would be answered from the store, or refused while in flight).
            return order_script(scratch, path=system.order_path, tokens=system.tokens, skus=SKUS)

        wrk.run(
            url,
            duration=args.warmup,
            connections=clients,
            core=None,
            script=script(),
            timeout=WRK_TIMEOUT_S,
        )
        measured = script()
        meter, beside = ProcessMeter(system.pids), ProcessMeter(system.beside)
        started = time.monotonic()
        result = wrk.run(
            url,
            duration=args.duration,
            connections=clients,
            core=None,
            script=measured,
            timeout=WRK_TIMEOUT_S,
        )
        seconds = time.monotonic() - started
        usage, beside_usage = meter.stop(), beside.stop()
        peak = max(peak, usage.peak_rss)
        failed = result.non_2xx + result.socket_errors
        # wrk reports requests/s over its own clock; the meter's clock is a little longer.
        seconds = result.requests / result.rps if result.rps else seconds
        runs[label] = run_figures(
            result.requests, seconds, failed, result, dict(usage.cpu_s), dict(beside_usage.cpu_s)
        )
        runs[label]["failed_by_status"] = failed_statuses(result.script_output)
        figures = runs[label]
        console.print(
            f"  {system.name:<6} {label:<3} {figures['orders_per_s']:>7.1f} orders/s"
            f"  p50 {figures['p50_ms']:7.2f} ms  p99 {figures['p99_ms']:8.2f} ms"
            f"  cpu {figures['cpu_ms_per_order']:6.2f} ms/order{_beside(figures)}  failed {failed}"
            f" {figures['failed_by_status'] or ''}"
        )
    processes = {
        "ready_s": round(system.ready_s, 2),
        "rss_idle_mb": round(idle_rss / 2**20, 1),
        "rss_load_mb": round(peak / 2**20, 1),
    }
    return runs, processes


@contextlib.contextmanager
def _databases(kind: str, console: Console) -> Iterator[Callable[[], dict[str, str]] | None]:
    """None for SQLite (each service's default file); for PostgreSQL a throwaway server
    and a function that creates one database per service."""
    if kind == "sqlite":
        yield None
        return
    from tests.support.postgres import postgres_server

    with postgres_server() as server:
        console.print(f"PostgreSQL on port {server.port}")
        services = ("identity", "inventory", "payments", "orders")
        yield lambda: {s: server.create_database(s) for s in services}


def _measure_all(
    args: argparse.Namespace, scratch: Path, console: Console
) -> tuple[dict[str, Any], dict[str, Any]]:
    runs: dict[str, Any] = {}
    processes: dict[str, Any] = {}
    starters = _starters()
    for database in args.databases:
        with _databases(database, console) as make_databases:
            for name in args.systems:
                home = scratch / f"{name}-{database}"
                log = scratch / f"{name}-{database}.log"
                console.print(f"starting {name} on {database} (log: {log})")
                dbs = make_databases() if make_databases else None
                system = starters[name](home, log, args.customers, dbs)
                try:
                    console.print(f"  ready in {system.ready_s:.1f} s")
                    got, procs = _measure_system(system, args, scratch, console)
                finally:
                    system.stop()
                runs.setdefault(name, {})[database] = got
                processes.setdefault(name, {})[database] = procs
    return runs, processes


def render(runs: dict[str, Any], processes: dict[str, Any], console: Console) -> None:
    """The table of every measurement, then the processes' start time and memory."""
    table = Table(title="the shop, end to end (POST /v2/orders, one item)", title_justify="left")
    for col in ("system", "database", "clients", "orders/s", "p50 ms", "p99 ms", "CPU ms/order"):
        table.add_column(col, justify="left" if col in ("system", "database") else "right")
    table.add_column("CPU ms/order by service")
    table.add_column("failed", justify="right")
    for system, by_db in runs.items():
        for database, by_c in by_db.items():
            for label, f in by_c.items():
                by_service = " ".join(
                    f"{n[:3]} {v:.1f}" for n, v in f["cpu_ms_per_order_by_service"].items()
                ) + _beside(f)
                table.add_row(
                    system,
                    database,
                    label[1:],
                    f"{f['orders_per_s']:.1f}",
                    f"{f['p50_ms']:.1f}",
                    f"{f['p99_ms']:.1f}",
                    f"{f['cpu_ms_per_order']:.2f}",
                    by_service,
                    str(f["failed"]),
                )
    console.print(table)
    for system, by_db in processes.items():
        for database, p in by_db.items():
            console.print(
                f"{system} on {database}: ready in {p['ready_s']:.1f} s; RSS of its services "
                f"{p['rss_idle_mb']:.0f} MB idle, {p['rss_load_mb']:.0f} MB under load"
            )


def targets(runs: dict[str, Any]) -> list[str]:
    """The issue's targets, each PASS, FAIL or not measured (informational)."""
    lines: list[str] = []

    def get(system: str, db: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = runs.get(system, {}).get(db, {}).get("c16")
        return found

    lite, pg, twin = get("accord", "sqlite"), get("accord", "postgresql"), get("twin", "sqlite")
    checks: list[tuple[str, bool | None]] = [
        ("accord sqlite c16 ≥ 150 orders/s", lite and lite["orders_per_s"] >= 150),
        ("accord sqlite c16 p99 < 100 ms", lite and lite["p99_ms"] < 100),
        ("accord sqlite c16 CPU ≤ 10 ms/order", lite and lite["cpu_ms_per_order"] <= 10),
        (
            "accord postgresql c16 within 30 % of sqlite",
            lite and pg and pg["orders_per_s"] >= 0.7 * lite["orders_per_s"],
        ),
        (
            "accord sqlite c16 ≥ 2x twin, p99 no worse",
            lite
            and twin
            and lite["orders_per_s"] >= 2 * twin["orders_per_s"]
            and lite["p99_ms"] <= twin["p99_ms"],
        ),
    ]
    for label, ok in checks:
        verdict = "not measured" if ok is None else ("PASS" if ok else "FAIL")
        lines.append(f"{label}: {verdict}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print the table and the targets; write the JSON results."""
    args = parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 130)
    try:
        wrk.ensure_wrk()
    except wrk.WrkError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _interrupt)
    load_before = os.getloadavg()
    try:
        with tempfile.TemporaryDirectory(prefix="accord-shop-bench-") as tmp:
            runs, processes = _measure_all(args, Path(tmp), console)
    except KeyboardInterrupt:
        print("bench: interrupted; every process was stopped", file=sys.stderr)
        return 130
    except (StartFailed, wrk.WrkError, OSError, RuntimeError, httpx.HTTPError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    render(runs, processes, console)
    for line in targets(runs):
        console.print(line)
    meta = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        },
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "customers": args.customers,
            "skus": list(SKUS),
            "wrk": wrk.version(),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    document = {"runs": runs, "processes": processes, "meta": meta}
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    console.print(f"results written to {args.out}")
    return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
