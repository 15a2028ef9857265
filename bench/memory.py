"""The shop's memory: RSS of ``accord up`` and of each service, idle after ``accord demo``.

::

    .venv/bin/python bench/memory.py [--out bench/results/memory.json] [--settle 2]

Starts ``accord up`` on free loopback ports with a temporary ``ACCORD_HOME``, waits until
every service is ready, runs ``accord demo`` against it, lets it settle, then reads the
resident set size (``VmRSS``; also once all are ready, before the demo: ``ready``)
and the proportional set size (``Pss``, shared pages split
between the processes that map them) of the supervisor and of each service from
``/proc``. Prints a table and writes JSON. Linux only (it reads ``/proc``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# bench/http.py would shadow the standard library's http package that httpx imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]

import httpx  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def memory(pid: int) -> dict[str, float]:
    """``rss`` and ``pss`` of one process, in MiB."""
    out = {"rss": 0.0, "pss": 0.0}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                out["rss"] = int(line.split()[1]) * 1024 / MIB
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    out["pss"] = int(line.split()[1]) * 1024 / MIB
    except OSError:
        pass
    return out


def wait_ready(urls: dict[str, str], timeout: float = 90.0) -> None:
    """Poll every ``/readyz`` until each answers 200."""
    deadline = time.monotonic() + timeout
    pending = dict(urls)
    while pending and time.monotonic() < deadline:
        for name, url in list(pending.items()):
            try:
                if httpx.get(url + "/readyz", timeout=1.0).status_code == 200:
                    del pending[name]
            except httpx.HTTPError:
                pass
        time.sleep(0.2)
    if pending:
        raise SystemExit(f"not ready within {timeout:.0f}s: {', '.join(pending)}")


def wait_run_file(path: Path, services: tuple[str, ...], timeout: float = 90.0) -> None:
    """Wait for ``accord up``'s run file, which it writes once every service answered."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if set(services) <= set(json.loads(path.read_text())["services"]):
                return
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"no run file with every service within {timeout:.0f}s: {path}")


def measure(settle: float, *, plain: bool) -> dict[str, object]:
    """Run the shop (mutual TLS, as ``accord up`` does by default, or ``--plain``), the
    demo, and read every process's memory."""
    services = ("identity", "inventory", "payments", "orders")
    ports = {name: free_port() for name in services}
    with tempfile.TemporaryDirectory(prefix="accord-memory-") as home:
        env = {**os.environ, "ACCORD_HOME": home}
        argv = [sys.executable, "-m", "accord", "up", "--raw"] + (["--plain"] if plain else [])
        for name, port in ports.items():
            argv += ["--port", f"{name}={port}"]
        log = open(Path(home) / "up.log", "wb")  # noqa: SIM115 - closed below
        up = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            if plain:
                wait_ready({n: f"http://127.0.0.1:{p}" for n, p in ports.items()})
            else:
                wait_run_file(Path(home) / "run.json", services)
            time.sleep(settle)
            run = json.loads((Path(home) / "run.json").read_text())
            pids = {"supervisor": up.pid}
            pids.update({name: int(run["services"][name]["pid"]) for name in services})
            ready = {name: memory(pid)["rss"] for name, pid in pids.items()}
            demo = subprocess.run(
                [sys.executable, "-m", "accord", "demo"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                timeout=120,
                check=False,
            )
            if demo.returncode != 0:
                raise SystemExit(f"accord demo failed:\n{demo.stdout.decode()[-2000:]}")
            time.sleep(settle)
            rows = {
                name: {"pid": pid, "rss_ready": ready[name], **memory(pid)}
                for name, pid in pids.items()
            }
        finally:
            up.send_signal(signal.SIGTERM)
            try:
                up.wait(30)
            except subprocess.TimeoutExpired:
                up.kill()
                up.wait()
            log.close()
    total = {
        "rss": sum(float(r["rss"]) for r in rows.values()),
        "pss": sum(float(r["pss"]) for r in rows.values()),
    }
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processes": rows,
        "total_mib": total,
    }


def main() -> None:
    """Measure, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "memory.json")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds idle before reading")
    parser.add_argument("--plain", action="store_true", help="run accord up --plain")
    args = parser.parse_args()
    result = measure(args.settle, plain=args.plain)
    result["transport"] = "plain" if args.plain else "mutual TLS"
    rows = result["processes"]
    assert isinstance(rows, dict)
    print(f"{'process':<12} {'pid':>8} {'ready':>9} {'RSS MiB':>9} {'PSS MiB':>9}")
    for name, row in rows.items():
        print(
            f"{name:<12} {row['pid']:>8} {row['rss_ready']:>9.1f} {row['rss']:>9.1f}"
            f" {row['pss']:>9.1f}"
        )
    total = result["total_mib"]
    assert isinstance(total, dict)
    ready_total = sum(float(r["rss_ready"]) for r in rows.values())
    print(f"{'total':<12} {'':>8} {ready_total:>9.1f} {total['rss']:>9.1f} {total['pss']:>9.1f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
