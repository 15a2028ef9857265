"""Live configuration reloads: how fast a file change applies, and what it costs requests.

::

    .venv/bin/python bench/reload.py [--writes 50] [--reloads 50] [--clients 16]
                                     [--out bench/results/reload.json]

One payments service is served (``accord serve``, authentication off) from a copy of
``config/`` in a temporary folder. Two measurements, one after the other:

1. **write → applied**: ``--writes`` times, ``config/dev/payments.toml`` is rewritten
   with another ``max_in_flight``; the time from the end of the write to the service's
   ``config_applied`` log line (its millisecond timestamp), p50/p99/max.
2. **requests during reloads**: ``--clients`` concurrent clients call
   ``GET /v1/authorizations`` in a loop while the file is rewritten ``--reloads`` times
   (each waiting for its ``config_applied`` line); every answer that is not 200, and
   every request that fails to get an answer, is counted as failed, by reason. Then
   the control: the same clients for the same time without a write, so failures the
   machine's load causes (a 504 past the operation's 2 s deadline on a busy host) are
   told apart from failures a reload would cause.

Prints a table and writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

# This folder holds bench/http.py, which would hide the standard library's http package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import httpx  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.processes import free_port, stop, wait_http  # noqa: E402

HEADER = "#:schema ../schemas/payments.v1.json\n# payments in dev (bench/reload.py)\n"


class Service:
    """The served payments process and its log."""

    def __init__(self, folder: Path) -> None:
        self.config = folder / "config"
        shutil.copytree(ROOT / "config", self.config, ignore=shutil.ignore_patterns("flags.json"))
        self.file = self.config / "dev" / "payments.toml"
        self.file.write_text(HEADER)
        self.log = folder / "payments.log"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "ACCORD_HOME": str(folder / "home"),
            "ACCORD_CONFIG_DIR": str(self.config),
            "ACCORD_ENV": "dev",
            "ACCORD_AUTH": "off",
            "OTEL_TRACES_EXPORTER": "none",
        }
        argv = [sys.executable, "-m", "accord", "serve", "shop.payments.bootstrap:create_app"]
        self._out = self.log.open("ab")
        self.process = subprocess.Popen(
            [*argv, "--port", str(self.port)],
            env=env,
            cwd=ROOT,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )
        wait_http(f"{self.base}/readyz", timeout=60)
        self._reader: Any = None
        self._pending = ""

    def close(self) -> None:
        stop(self.process)
        self._out.close()
        if self._reader is not None:
            self._reader.close()

    def applied(self) -> list[dict[str, Any]]:
        """``config_applied`` lines written since the last call (read incrementally)."""
        if self._reader is None:
            self._reader = self.log.open("r")
        self._pending += self._reader.read()
        complete, _, self._pending = self._pending.rpartition("\n")
        return [json.loads(raw) for raw in complete.splitlines() if '"config_applied"' in raw]

    def write(self, max_in_flight: int) -> float:
        """Rewrite the file; the wall-clock time the write ended."""
        partial = self.file.with_name(".payments.toml.partial")
        partial.write_text(f"{HEADER}max_in_flight = {max_in_flight}\n")
        os.replace(partial, self.file)  # one rename, as an editor saves
        return time.time()

    def wait_applied(self, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            new = self.applied()
            if new:
                return new[-1]
            time.sleep(0.005)
        raise TimeoutError("no config_applied line")


def stamp(line: dict[str, Any]) -> float:
    return datetime.fromisoformat(str(line["ts"]).replace("Z", "+00:00")).timestamp()


def write_to_applied(service: Service, writes: int) -> list[float]:
    seconds = []
    for n in range(writes):
        written = service.write(600 + n % 2)  # alternate: every write is a change
        seconds.append(max(0.0, stamp(service.wait_applied()) - written))
        time.sleep(0.05)
    return seconds


async def under_load(
    service: Service, reloads: int, clients: int, duration: float | None = None
) -> dict[str, Any]:
    """Clients calling while the file is rewritten ``reloads`` times (or, the control,
    for ``duration`` seconds without a write)."""
    counts: dict[str, Any] = {"requests": 0, "failed": 0, "applied": 0}
    reasons: Counter[str] = Counter()
    done = asyncio.Event()

    async def client() -> None:
        async with httpx.AsyncClient(base_url=service.base, timeout=10) as http:
            while not done.is_set():
                try:
                    answer = await http.get("/v1/authorizations")
                    ok = answer.status_code == 200
                    if not ok:
                        reasons[f"{answer.status_code} {answer.text[:120]}"] += 1
                except httpx.HTTPError as exc:
                    ok = False
                    reasons[type(exc).__name__] += 1
                counts["requests"] += 1
                counts["failed"] += 0 if ok else 1

    async def reloader() -> None:
        await asyncio.sleep(0.5)
        if duration is not None:
            await asyncio.sleep(duration)
            done.set()
            return
        for n in range(reloads):
            service.write(700 + n % 2)
            await asyncio.to_thread(service.wait_applied)
            counts["applied"] += 1
            await asyncio.sleep(0.05)
        done.set()

    started = time.monotonic()
    await asyncio.gather(reloader(), *(client() for _ in range(clients)))
    counts["seconds"] = round(time.monotonic() - started, 2)
    counts["failures"] = dict(reasons)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=50)
    parser.add_argument("--reloads", type=int, default=50)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "reload.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        service = Service(Path(tmp))
        try:
            seconds = write_to_applied(service, args.writes)
            counts = asyncio.run(under_load(service, args.reloads, args.clients))
            control = asyncio.run(
                under_load(service, 0, args.clients, duration=counts["seconds"] - 0.5)
            )
        finally:
            service.close()
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    result = {
        "writes": args.writes,
        "write_to_applied_ms": {
            "p50": round(statistics.median(ordered) * 1000, 1),
            "p99": round(p99 * 1000, 1),
            "max": round(ordered[-1] * 1000, 1),
        },
        "under_load": {"clients": args.clients, "reloads": args.reloads, **counts},
        "control_without_reloads": {"clients": args.clients, **control},
        "cores": os.cpu_count(),
        "load_average": os.getloadavg()[0],
    }
    print(f"{'measure':<38}{'value':>12}")
    for name, value in (
        (
            f"write → applied p50 ({args.writes} writes)",
            f"{result['write_to_applied_ms']['p50']} ms",
        ),
        ("write → applied p99", f"{result['write_to_applied_ms']['p99']} ms"),
        ("write → applied max", f"{result['write_to_applied_ms']['max']} ms"),
        ("reloads applied under load", str(counts["applied"])),
        (f"requests during reloads ({args.clients} clients)", str(counts["requests"])),
        ("failed requests", str(counts["failed"])),
        ("control: same load, no reloads", str(control["requests"])),
        ("control: failed requests", str(control["failed"])),
    ):
        print(f"{name:<38}{value:>12}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
