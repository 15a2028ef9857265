"""`accord up` starts a crashed service again, with backoff, and says so.

A real `accord up` (free ports, a temporary ACCORD_HOME) runs the shop; the test kills a
service with SIGKILL and watches it come back ready under a new pid, in run.json too.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from accord.supervisor import RestartPolicy
from tests.support.processes import ROOT, free_port, stop, wait_http

SERVICES = ("identity", "orders", "inventory", "payments")


def _pids(home: Path) -> dict[str, int]:
    run = json.loads((home / "run.json").read_text())
    return {name: int(svc["pid"]) for name, svc in run["services"].items()}


def _wait_new_pid(home: Path, name: str, old: int, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid = _pids(home)[name]
        except (OSError, ValueError, KeyError):
            pid = old
        if pid != old:
            return pid
        time.sleep(0.1)
    raise TimeoutError(f"{name} kept pid {old} for {timeout}s")


def test_restart_delays_double_up_to_the_cap() -> None:
    policy = RestartPolicy(initial=0.5, maximum=10.0)
    assert [policy.delay(n) for n in range(1, 8)] == [0.5, 1, 2, 4, 8, 10, 10]


def test_a_killed_service_comes_back_ready_with_a_new_pid(tmp_path: Path) -> None:
    ports = {name: free_port() for name in SERVICES}
    argv = [sys.executable, "-m", "accord", "up", "--raw"]
    for name, port in ports.items():
        argv += ["--port", f"{name}={port}"]
    # Tokens are not what this test is about.
    env = {**os.environ, "ACCORD_HOME": str(tmp_path), "ACCORD_AUTH": "off"}
    log_path = tmp_path / "up.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            for name in SERVICES:
                wait_http(f"http://127.0.0.1:{ports[name]}/readyz", timeout=60)
            before = _pids(tmp_path)
            os.kill(before["inventory"], signal.SIGKILL)

            pid = _wait_new_pid(tmp_path, "inventory", before["inventory"])
            assert httpx.get(f"http://127.0.0.1:{ports['inventory']}/readyz").status_code == 200
            assert proc.poll() is None, "accord up stopped instead of restarting"
            after = _pids(tmp_path)
            assert after["orders"] == before["orders"]
            assert after["payments"] == before["payments"]
            os.kill(pid, 0)  # the new process is alive

            # Orders reaches the restarted inventory again.
            r = httpx.get(f"http://127.0.0.1:{ports['inventory']}/v1/skus")
            assert r.status_code == 200

            # A second crash in a row waits twice as long.
            os.kill(pid, signal.SIGKILL)
            third = _wait_new_pid(tmp_path, "inventory", pid)
            assert third != pid
            text = log_path.read_text()
            assert "inventory exited with -9; restarting in 0.5 s (restart 1)" in text
            assert "inventory exited with -9; restarting in 1 s (restart 2)" in text

            # Ctrl-C still stops everything gracefully.
            assert stop(proc, sig=signal.SIGINT) == 0
            for p in _pids_alive(after, third):
                pytest.fail(f"pid {p} still runs after accord up stopped")
            assert not (tmp_path / "run.json").exists()
        finally:
            stop(proc)


def _pids_alive(pids: dict[str, int], extra: int) -> list[int]:
    alive = []
    for pid in [*pids.values(), extra]:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        alive.append(pid)
    return alive
