"""The work of ``bench/flags.py`` (see its docstring)."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ALWAYS_ON

from bench.harness import servers, wrk
from bench.harness.report import write_json
from bench.harness.variants import ORDER, Variant

__all__ = ["main", "parse_args"]

ROOT = Path(__file__).resolve().parents[2]
#: The target of the issue: one request's flags in under this many microseconds.
TARGET_US = 5.0

_APP = "bench.apps.accord_flags"


class _Discard(SpanExporter):
    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description="Feature flag evaluation cost.")
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--writes", type=int, default=50, help="flag file rewrites timed")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--quick", action="store_true", help="1 round of 2 s, 1 s warm-up")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "flags.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.rounds, args.warmup, args.samples = 2.0, 1, 1.0, 5_000
        args.writes = 10
    return args


def _median_us(samples: list[int]) -> float:
    return round(statistics.median(samples) / 1000, 2)


def _timed(run: Callable[[int], object], tracer: Any, samples: int) -> float:
    """The median of ``samples`` timings of ``run(i)``, each inside a fresh span (the
    span's start and end are not timed); ``tracer=None``: outside any recording span, as
    in a request the sampler left out."""
    spent: list[int] = []
    clock = time.perf_counter_ns
    for i in range(samples):
        with tracer.start_as_current_span("request") if tracer else contextlib.nullcontext():
            started = clock()
            run(i)
            spent.append(clock() - started)
    return _median_us(spent)


def in_process(samples: int, scratch: Path) -> dict[str, float]:
    """Medians, in µs, of evaluating the shop's flags in this process."""
    from openfeature.evaluation_context import EvaluationContext

    from accord.flags import Flags, FlagSettings
    from accord.observability.telemetry import Telemetry
    from shop.orders.flags import PAUSE_ORDERS, STRICT_CARD_TOKENS

    path = scratch / "flags.json"
    shutil.copy(ROOT / "config" / "dev" / "flags.json", path)
    telemetry = Telemetry.configure(
        "orders",
        "bench",
        home=scratch,
        span_exporter=_Discard(),
        sampler=ALWAYS_ON,
        simple_processor=True,
        log_stream=open(os.devnull, "w"),  # noqa: SIM115
    )
    settings = FlagSettings(provider="file", path=str(path))
    flags = Flags.open(settings, service="orders", version="bench", telemetry=telemetry)
    customers = [f"cus_{n}" for n in range(1000)]
    tracer = telemetry.tracer

    def both(i: int) -> None:
        flags.value(PAUSE_ORDERS, targeting_key=customers[i % 1000])
        flags.value(STRICT_CARD_TOKENS, targeting_key=customers[i % 1000])

    core = flags._provider  # the file provider's flagd evaluator: no snapshot, no telemetry
    contexts = [EvaluationContext(c, {"service": "orders", "version": "bench"}) for c in customers]

    def core_both(i: int) -> None:
        core.resolve_boolean_details(PAUSE_ORDERS.key, False, contexts[i % 1000])
        core.resolve_boolean_details(STRICT_CARD_TOKENS.key, False, contexts[i % 1000])

    for run in (both, core_both):  # warm-up
        _timed(run, tracer, 2000)
    figures = {
        "static_us": _timed(
            lambda i: flags.value(PAUSE_ORDERS, targeting_key=customers[i % 1000]), tracer, samples
        ),
        "fractional_us": _timed(
            lambda i: flags.value(STRICT_CARD_TOKENS, targeting_key=customers[i % 1000]),
            tracer,
            samples,
        ),
        "per_request_us": _timed(both, tracer, samples),
        "per_request_unsampled_us": _timed(both, None, samples),
        "flagd_core_per_request_us": _timed(core_both, tracer, samples),
    }
    flags.close()
    return figures


def reload_times(writes: int, scratch: Path) -> dict[str, float]:
    """p50 and p99, in ms, from a flags file written (renamed into place) to the new value
    answered, over ``writes`` flips of ``pause-orders`` (the default 500 ms poll)."""
    from accord.flags import Flags, FlagSettings, read_flags, write_flags
    from accord.flags.edit import set_variant
    from accord.flags.source import DEFAULT_POLL_MS
    from shop.orders.flags import PAUSE_ORDERS

    path = scratch / "reload-flags.json"
    shutil.copy(ROOT / "config" / "dev" / "flags.json", path)
    flags = Flags.open(FlagSettings(provider="file", path=str(path)), service="o", version="b")
    spent: list[float] = []
    try:
        for n in range(writes):
            wanted = n % 2 == 0
            document = set_variant(read_flags(path), PAUSE_ORDERS.key, "on" if wanted else "off")
            # Writes land at any moment of the watcher's poll, as an operator's would.
            time.sleep(random.uniform(0, DEFAULT_POLL_MS / 1000))
            started = time.perf_counter()
            write_flags(path, document)
            while flags.value(PAUSE_ORDERS) is not wanted:
                if time.perf_counter() - started > 10:
                    raise RuntimeError("a flags file write was not applied within 10 s")
                time.sleep(0.001)
            spent.append((time.perf_counter() - started) * 1000)
    finally:
        flags.close()
    cuts = statistics.quantiles(spent, n=100)
    return {"reload_p50_ms": round(cuts[49], 1), "reload_p99_ms": round(cuts[98], 1)}


_IMPORT_PROBE = """
import json, time

def rss_kib():  # resident now (ru_maxrss would carry the parent's peak across exec)
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

before = rss_kib()
started = time.perf_counter()
import accord.flags.file_provider
elapsed = time.perf_counter() - started
rss = round((rss_kib() - before) / 1024, 1)
print(json.dumps({"import_ms": round(elapsed * 1000, 1), "import_rss_mb": rss}))
"""


def import_cost() -> dict[str, float]:
    """The file provider's import (flagd's evaluator, OpenFeature), in a fresh
    interpreter: milliseconds and MiB of RSS."""
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE], capture_output=True, text=True, check=True
    )
    figures: dict[str, float] = json.loads(out.stdout)
    return figures


def _variants(flags_file: Path) -> list[Variant]:
    env = {"BENCH_TELEMETRY_DIR": "{tmp}"}
    return [
        Variant("no_flags", _APP, "accord app, no flag evaluated", env),
        Variant(
            "two_flags",
            _APP,
            "accord app, two flags evaluated per order",
            {**env, "BENCH_FLAGS_FILE": str(flags_file)},
        ),
    ]


def _cores() -> tuple[int | None, int | None]:
    try:
        allowed = os.sched_getaffinity(0)
    except (AttributeError, OSError):
        return None, None
    return (0, 1) if {0, 1} <= allowed else (None, None)


#: Seconds between two rewrites of the flags file under load: more than one poll, so
#: each rewrite is applied on its own.
REWRITE_EVERY = 0.6


def _rewrite(path: Path, writes: int) -> None:
    """Roll ``strict-card-tokens`` between 30 % and 70 %, ``writes`` times."""
    from accord.flags import read_flags, write_flags
    from accord.flags.edit import rollout

    for n in range(writes):
        time.sleep(REWRITE_EVERY)
        write_flags(path, rollout(read_flags(path), "strict-card-tokens", 30 if n % 2 else 70))


def under_reloads(
    server: servers.Server, flags_file: Path, args: argparse.Namespace, measure: Any
) -> dict[str, float]:
    """Requests failed while the flags file is rewritten ``--writes`` times under load."""
    log = server.log.parent / "requests.log"
    applied_before = log.read_text(errors="replace").count('"flags_applied"')
    writer = threading.Thread(target=_rewrite, args=(flags_file, args.writes))
    writer.start()
    try:
        result = measure(server, args.writes * REWRITE_EVERY + 1)
    finally:
        writer.join()
    applied = log.read_text(errors="replace").count('"flags_applied"') - applied_before
    return {
        "writes": args.writes,
        "applied": applied,
        "requests": result.requests,
        "failed": result.non_2xx + result.socket_errors,
        "rps": round(result.rps, 1),
    }


def over_http(
    args: argparse.Namespace, scratch: Path
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """req/s, p50 and p99 of ``POST /v1/orders`` with two flags and with none; then the
    requests that failed while the two-flag server's file was rewritten under load."""
    flags_file = scratch / "http-flags.json"
    shutil.copy(ROOT / "config" / "dev" / "flags.json", flags_file)
    server_core, wrk_core = _cores()
    script = wrk.post_script(scratch, ORDER)
    results: dict[str, list[wrk.WrkResult]] = {}
    running: list[servers.Server] = []
    try:
        for variant in _variants(flags_file):
            running.append(servers.start(variant, core=server_core, scratch=scratch))
            servers.check(running[-1])

        def measure(server: servers.Server, seconds: float) -> wrk.WrkResult:
            return wrk.run(
                server.url("order"),
                duration=seconds,
                connections=args.connections,
                core=wrk_core,
                script=script,
            )

        for server in running:
            measure(server, args.warmup)
        for n in range(1, args.rounds + 1):
            for server in running:
                result = measure(server, args.duration)
                results.setdefault(server.variant.name, []).append(result)
                print(
                    f"round {n}/{args.rounds}  {server.variant.name:<10} {result.rps:>9,.0f} req/s"
                )
        reloading = under_reloads(running[-1], flags_file, args, measure)
    finally:
        for server in running:
            servers.stop(server)
    figures = {
        name: {
            "rps": round(statistics.median(r.rps for r in rounds), 1),
            "p50_ms": round(statistics.median(r.p50_ms for r in rounds), 3),
            "p99_ms": round(statistics.median(r.p99_ms for r in rounds), 3),
            "non_2xx": sum(r.non_2xx + r.socket_errors for r in rounds),
        }
        for name, rounds in results.items()
    }
    return figures, reloading


def _table(
    local: dict[str, float],
    imported: dict[str, float],
    reloads: dict[str, float],
    http: dict[str, Any],
) -> None:
    print()
    print(f"{'in-process (median, µs)':<44}{'value':>10}")
    labels = {
        "static_us": "pause-orders (static)",
        "fractional_us": "strict-card-tokens (fractional)",
        "per_request_us": f"per request: both (target < {TARGET_US:g})",
        "per_request_unsampled_us": "per request: both, request not sampled",
        "flagd_core_per_request_us": "per request: flagd evaluator alone",
    }
    for key, label in labels.items():
        print(f"{label:<44}{local[key]:>10.2f}")
    print(
        f"{'reload: write to applied (ms, p50 / p99)':<44}"
        f"{reloads['reload_p50_ms']:>6.0f} / {reloads['reload_p99_ms']:.0f}"
    )
    print(
        f"{'file provider import (ms / MiB RSS)':<44}"
        f"{imported['import_ms']:>6.0f} / {imported['import_rss_mb']:.1f}"
    )
    print()
    print(f"{'POST /v1/orders':<20}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name, row in http.items():
        print(f"{name:<20}{row['rps']:>10,.0f}{row['p50_ms']:>10.2f}{row['p99_ms']:>10.2f}")
    if {"no_flags", "two_flags"} <= set(http):
        ratio = http["two_flags"]["rps"] / http["no_flags"]["rps"]
        print(f"two flags / none: {ratio:.3f} of the requests/s")


def main(argv: Sequence[str] | None = None) -> int:
    """Run both parts, print the table, write the JSON; 1 on errors."""
    args = parse_args(argv)
    wrk.ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="accord-flags-bench-") as folder:
        scratch = Path(folder)
        local = in_process(args.samples, scratch)
        imported = import_cost()
        reloads = reload_times(args.writes, scratch)
        http, reloading = over_http(args, scratch)
    _table(local, imported, reloads, http)
    print(
        f"under load, {reloading['writes']} rewrites ({reloading['applied']} applied): "
        f"{reloading['failed']} of {reloading['requests']:,} requests failed"
    )
    document = {
        "in_process": {**local, "target_per_request_us": TARGET_US, **imported, **reloads},
        "http_order": http,
        "reloads_under_load": reloading,
        "meta": {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "cores": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "samples": args.samples,
            "duration_s": args.duration,
            "rounds": args.rounds,
            "connections": args.connections,
            "statistic": "median",
        },
    }
    write_json(args.out, document)
    print(f"wrote {args.out}")
    failed = reloading["failed"] or any(row["non_2xx"] for row in http.values())
    return 1 if failed else 0
