"""The ``bench/http.py`` command: arguments, the measuring loop, the summary."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import os
import platform
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console

from bench.harness import cpu, report, servers, wrk
from bench.harness.variants import ENDPOINTS, ORDER, REFERENCE, VARIANTS, Variant

__all__ = ["main", "parse_args"]

_BENCH = Path(__file__).resolve().parents[1]
DEFAULT_OUT = _BENCH / "results" / "http.json"
_PACKAGES = (
    "uvicorn",
    "uvloop",
    "httptools",
    "fastapi",
    "pydantic",
    "starlette",
    "msgspec",
    "opentelemetry-sdk",
    "prometheus-client",
    "structlog",
)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Read the command line; ``--quick`` means 1 round of 3 s after 1 s of warm-up."""
    parser = argparse.ArgumentParser(
        prog="bench/http.py", description="accord vs FastAPI and Starlette, measured with wrk."
    )
    parser.add_argument("--duration", type=_positive, default=10.0, help="seconds per run")
    parser.add_argument("--rounds", type=_positive_int, default=3, help="interleaved rounds")
    parser.add_argument("--warmup", type=_positive, default=3.0, help="seconds per endpoint")
    parser.add_argument("--connections", type=_positive_int, default=64)
    parser.add_argument(
        "--variants",
        type=_variant_list,
        default=list(VARIANTS),
        help=f"comma-separated, among: {', '.join(VARIANTS)}",
    )
    parser.add_argument("--quick", action="store_true", help="1 round, 3 s, 1 s warm-up")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON file")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.duration, args.warmup = 1, 3.0, 1.0
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print the table and the targets; write the JSON results."""
    args = parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 110)
    try:
        wrk.ensure_wrk()
    except wrk.WrkError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    names: list[str] = list(dict.fromkeys(args.variants))
    if REFERENCE not in names:
        console.print(f"adding {REFERENCE}: every ratio is computed against it")
        names.append(REFERENCE)
    variants = [VARIANTS[n] for n in names]
    server_core, wrk_core = _cores()
    signal.signal(signal.SIGTERM, _interrupt)
    load_before = os.getloadavg()
    raw: dict[str, dict[str, list[wrk.WrkResult]]] = {v.name: {} for v in variants}
    noise: dict[str, dict[str, list[cpu.Usage]]] = {v.name: {} for v in variants}
    try:
        with tempfile.TemporaryDirectory(prefix="accord-bench-") as tmp:
            _measure(args, variants, Path(tmp), (server_core, wrk_core), raw, noise, console)
    except KeyboardInterrupt:
        print("bench: interrupted; every server was stopped", file=sys.stderr)
        return 130
    except (servers.ServerError, wrk.WrkError, OSError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    figures = report.summarize(raw)
    console.print()
    report.render(figures, console)
    _warn_if_disturbed(noise, console)
    meta = _meta(args, names, server_core, wrk_core, load_before, raw, noise)
    report.write_json(args.out, report.to_json(figures, meta))
    console.print(f"results written to {_shown(args.out)}")
    failed = [
        f"{name} {ep}: {f.non_2xx} non-2xx responses, {f.socket_errors} socket errors"
        for name, by_ep in figures.items()
        for ep, f in by_ep.items()
        if f.non_2xx or f.socket_errors
    ]
    for line in failed:
        print(f"bench: {line}", file=sys.stderr)
    return 1 if failed else 0


def _measure(
    args: argparse.Namespace,
    variants: Sequence[Variant],
    tmp: Path,
    cores: tuple[int | None, int | None],
    raw: dict[str, dict[str, list[wrk.WrkResult]]],
    noise: dict[str, dict[str, list[cpu.Usage]]],
    console: Console,
) -> None:
    server_core, wrk_core = cores
    running: list[servers.Server] = []
    try:
        for variant in variants:
            console.print(f"starting {variant.name} ({variant.description})")
            running.append(servers.start(variant, core=server_core, scratch=tmp))
            servers.check(running[-1])
        script = wrk.post_script(tmp, ORDER)

        def measure(server: servers.Server, endpoint: str, seconds: float) -> wrk.WrkResult:
            return wrk.run(
                server.url(endpoint),
                duration=seconds,
                connections=args.connections,
                core=wrk_core,
                script=script if endpoint == "order" else None,
            )

        console.print(f"warming up: {args.warmup:g} s per endpoint and variant")
        for server in running:
            for endpoint in ENDPOINTS:
                measure(server, endpoint, args.warmup)
        for n in range(1, args.rounds + 1):
            for server in running:
                for endpoint in ENDPOINTS:
                    meter = cpu.Foreign(server.process.pid)
                    result = measure(server, endpoint, args.duration)
                    usage = meter.stop()
                    raw[server.variant.name].setdefault(endpoint, []).append(result)
                    noise[server.variant.name].setdefault(endpoint, []).append(usage)
                    errors = "" if result.clean else f"  [red]{result.non_2xx} non-2xx[/red]"
                    console.print(
                        f"round {n}/{args.rounds}  {server.variant.name:<18} {endpoint:<5}"
                        f" {result.rps:>10,.0f} req/s  p50 {result.p50_ms:6.2f} ms"
                        f"  p99 {result.p99_ms:7.2f} ms  others {usage.other_cores:.2f} cores"
                        f"{errors}"
                    )
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        previous = (
            signal.signal(signal.SIGINT, signal.SIG_IGN),
            signal.signal(signal.SIGTERM, signal.SIG_IGN),
        )
        try:
            for server in running:
                servers.stop(server)
        finally:
            signal.signal(signal.SIGINT, previous[0])
            signal.signal(signal.SIGTERM, previous[1])


#: Other processes using more than this share of a core disturb a measurement.
DISTURBED = 0.1


def _warn_if_disturbed(noise: dict[str, dict[str, list[cpu.Usage]]], console: Console) -> None:
    usages = [u for by_ep in noise.values() for us in by_ep.values() for u in us]
    bad = [u for u in usages if u.other_cores + u.steal_cores > DISTURBED]
    if bad:
        worst = max(u.other_cores + u.steal_cores for u in bad)
        console.print(
            f"warning: {len(bad)} of {len(usages)} measurements ran while other processes "
            f"used more than {DISTURBED:.2f} of a core (worst {worst:.2f}); "
            "the figures are disturbed: rerun on a quiet machine",
            style="yellow",
        )


def _cores() -> tuple[int | None, int | None]:
    """Core 0 for the servers and core 1 for wrk, when this process may use both."""
    try:
        allowed = os.sched_getaffinity(0)
    except (AttributeError, OSError):
        return None, None
    if {0, 1} <= allowed:
        return 0, 1
    print("bench: fewer than 2 usable cores; nothing is pinned", file=sys.stderr)
    return None, None


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _meta(
    args: argparse.Namespace,
    names: Sequence[str],
    server_core: int | None,
    wrk_core: int | None,
    load_before: tuple[float, float, float],
    raw: dict[str, dict[str, list[wrk.WrkResult]]],
    noise: dict[str, dict[str, list[cpu.Usage]]],
) -> dict[str, Any]:
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "cpu": _cpu_model(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "settings": {
            "variants": list(names),
            "duration_s": args.duration,
            "rounds": args.rounds,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "wrk_threads": 1,
            "quick": args.quick,
            "server_core": server_core,
            "wrk_core": wrk_core,
            "uvicorn": " ".join(servers.UVICORN_FLAGS),
            "order_items": 5,
            "statistic": "median of rounds",
        },
        "versions": {
            "accord": _git_commit(),
            "wrk": wrk.version(),
            **{p: _version(p) for p in _PACKAGES},
        },
        "descriptions": {n: VARIANTS[n].description for n in names},
        "rounds": {
            name: {
                ep: [
                    {
                        "rps": r.rps,
                        "p50_ms": r.p50_ms,
                        "p99_ms": r.p99_ms,
                        "requests": r.requests,
                        "non_2xx": r.non_2xx,
                        "socket_errors": r.socket_errors,
                        "other_cpu_cores": u.other_cores,
                        "irq_cores": u.irq_cores,
                        "steal_cores": u.steal_cores,
                    }
                    for r, u in zip(results, noise[name][ep], strict=True)
                ]
                for ep, results in by_ep.items()
            }
            for name, by_ep in raw.items()
        },
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit() -> str:
    out = subprocess.run(
        ["git", "-C", str(_BENCH.parent), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip() or "unknown"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def _variant_list(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown variant(s) {', '.join(unknown) or '(none given)'}; "
            f"choose among {', '.join(VARIANTS)}"
        )
    return names
