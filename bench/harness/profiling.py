"""The ``bench/profile_accord.py`` command: the accord app timed in-process."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.table import Table

from bench.apps import accord_full, starlette_msgspec
from bench.harness.variants import ORDER

__all__ = ["CONFIGS", "Config", "build", "main", "time_app"]

ASGIApp = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[MutableMapping[str, Any]]],
        Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ],
    Awaitable[None],
]


@dataclass(frozen=True)
class Config:
    """Which parts of accord's telemetry are on."""

    description: str
    sampler: str | None = None  # OTEL_TRACES_SAMPLER; None: accord's default
    metrics: bool = True
    logs: bool = True


#: The configurations timed, the first being what ``accord_sampled`` runs.
CONFIGS: Mapping[str, Config] = {
    "full": Config("everything on, default sampler (parent-based 10%)"),
    "traced_all": Config("everything on, every request traced", sampler="always_on"),
    "no_tracing": Config("sampler always_off (spans still started, not recorded)", "always_off"),
    "no_metrics": Config("no duration histogram", metrics=False),
    "no_logs": Config("no request log line", logs=False),
    "nothing": Config("tracing, metrics and logs off", "always_off", False, False),
}


#: How a run is timed: elapsed time, or the CPU time of the whole process.
_CLOCKS: Mapping[str, Callable[[], float]] = {
    "wall": time.perf_counter,
    "cpu": time.process_time,
}


def build(config: Config, folder: Path) -> tuple[Any, IO[str]]:
    """The benchmark's accord app with ``config`` applied, and its request-log file.

    Spans and request lines are written under ``folder``; close the file after
    ``app.telemetry.shutdown()``.
    """
    log_stream = open(folder / "requests.log", "a", encoding="utf-8")  # noqa: SIM115
    from accord.observability.telemetry import Telemetry
    from accord.runtime import App

    environ = {"OTEL_TRACES_SAMPLER": config.sampler} if config.sampler else {}
    telemetry = Telemetry.configure(
        accord_full.Bench.name,
        accord_full.Bench.version,
        home=folder,
        log_stream=log_stream,
        environ=environ,
    )
    if not config.metrics:
        telemetry.metrics.observe_server = _discard  # type: ignore[method-assign, assignment]
    if not config.logs:
        telemetry.logs = None
    return App(accord_full.Bench, accord_full.BenchService(), telemetry=telemetry), log_stream


def _discard(*_: object) -> None:
    return None


def _request(path: str, endpoint: str) -> tuple[dict[str, Any], bytes]:
    body = ORDER if endpoint == "order" else b""
    headers = [(b"host", b"127.0.0.1:8000")]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST" if body else "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "state": {},
    }
    return scope, body


async def time_app(
    app: ASGIApp, path: str, endpoint: str, n: int, clock: Callable[[], float] = time.perf_counter
) -> float:
    """Seconds per request over ``n`` calls (after checking the app answers 2xx), by
    ``clock``, the app's telemetry (if any) flushed before the clock stops."""
    template, body = _request(path, endpoint)
    message = {"type": "http.request", "body": body, "more_body": False}
    status: list[int] = []

    async def receive() -> MutableMapping[str, Any]:
        return message

    async def send(event: MutableMapping[str, Any]) -> None:
        if event["type"] == "http.response.start":
            status.append(event["status"])

    await app(dict(template), receive, send)
    if not 200 <= status[0] < 300:
        raise RuntimeError(f"{path} answered {status[0]}")
    telemetry = getattr(app, "telemetry", None)
    start = clock()
    for _ in range(n):
        await app(dict(template), receive, send)
    if telemetry is not None:
        telemetry.flush()
    return (clock() - start) / n


async def _run(args: argparse.Namespace, console: Console) -> None:
    rows: list[tuple[str, str, float]] = []
    with tempfile.TemporaryDirectory(prefix="accord-profile-") as tmp:
        names = [args.cprofile] if args.cprofile else list(CONFIGS)
        for name in names:
            folder = Path(tmp) / name
            folder.mkdir()
            app, stream = build(CONFIGS[name], folder)
            with stream:
                path = accord_full.PATHS[args.endpoint]
                try:
                    await time_app(app, path, args.endpoint, min(args.n, 2000))  # warm-up
                    if args.cprofile:
                        await _profile(app, path, args, console)
                        return
                    runs = [
                        await time_app(app, path, args.endpoint, args.n, _CLOCKS[args.clock])
                        for _ in range(args.repeat)
                    ]
                finally:
                    app.telemetry.shutdown()
            rows.append((name, CONFIGS[name].description, statistics.median(runs)))
        peer = starlette_msgspec.create_app()
        peer_path = starlette_msgspec.PATHS[args.endpoint]
        await time_app(peer, peer_path, args.endpoint, min(args.n, 2000))
        runs = [
            await time_app(peer, peer_path, args.endpoint, args.n, _CLOCKS[args.clock])
            for _ in range(args.repeat)
        ]
        rows.append(
            ("starlette_msgspec", "bare Starlette + msgspec, for scale", statistics.median(runs))
        )
    _print(rows, args, console)


async def _profile(app: Any, path: str, args: argparse.Namespace, console: Console) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    seconds = await time_app(app, path, args.endpoint, args.n)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    calls = stats.total_calls / (args.n + 1)  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(args.top)
    console.print(
        f"{args.cprofile}, {args.endpoint}: {calls:.0f} Python calls per request, "
        f"{seconds * 1e6:.1f} µs per request under cProfile (its overhead included)"
    )
    console.print(out.getvalue(), markup=False, highlight=False, soft_wrap=True)


def _print(
    rows: Sequence[tuple[str, str, float]], args: argparse.Namespace, console: Console
) -> None:
    full = rows[0][2]
    what = "CPU µs" if args.clock == "cpu" else "µs"
    title = f"accord in-process, {args.endpoint}: {what} per request"
    table = Table(title=f"{title} (median of {args.repeat} runs of {args.n})", title_justify="left")
    for col, justify in (
        ("configuration", "left"),
        ("what", "left"),
        ("µs", "right"),
        ("vs full", "right"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for name, description, seconds in rows:
        table.add_row(name, description, f"{seconds * 1e6:.1f}", f"{(seconds - full) * 1e6:+.1f}")
    console.print(table)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="bench/profile_accord.py", description=__doc__)
    parser.add_argument("-n", type=int, default=20_000, help="requests per run")
    parser.add_argument("--endpoint", choices=("order", "ping"), default="order")
    parser.add_argument("--repeat", type=int, default=5, help="runs per configuration")
    parser.add_argument(
        "--clock",
        choices=list(_CLOCKS),
        default="wall",
        help="elapsed time, or the process's CPU time (all threads)",
    )
    parser.add_argument("--cprofile", choices=list(CONFIGS), help="profile one configuration")
    parser.add_argument("--top", type=int, default=25, help="functions shown by --cprofile")
    args = parser.parse_args(argv)
    if args.n < 1 or args.repeat < 1:
        parser.error("-n and --repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Time (or profile) every configuration and print the table."""
    args = parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 110)
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:  # pragma: no cover - uvloop is in the lock
        runner = asyncio.run
    runner(_run(args, console))
    return 0
