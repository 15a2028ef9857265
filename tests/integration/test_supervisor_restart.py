"""`accord up` starts a crashed service again, with backoff, and says so.

A real `accord up` (free ports, a temporary ACCORD_HOME) runs the shop; the test kills a
service with SIGKILL and watches it come back ready under a new pid, in run.json too.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from accord import project as projects
from accord.supervisor import RestartPolicy, Supervisor
from tests.support.processes import ROOT, free_port, stop, wait_for, wait_http

SERVICES = ("identity", "orders", "inventory", "payments")


def _pids(home: Path) -> dict[str, int]:
    # The run file is written once every service is ready, which may follow by a moment
    # the first answers a listener gives.
    wait_for(lambda: (home / "run.json").exists(), what="the run file")
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
    argv = [sys.executable, "-m", "accord", "up", "--plain", "--raw"]  # restarts, not transport
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
            # The run file names a new process from its start on; ready comes after.
            wait_http(f"http://127.0.0.1:{ports['inventory']}/readyz", timeout=30)
            assert proc.poll() is None, "accord up stopped instead of restarting"
            after = _pids(tmp_path)
            assert after["orders"] == before["orders"]
            assert after["payments"] == before["payments"]
            os.kill(pid, 0)  # the new process is alive

            # Orders reaches the restarted inventory again: an order placed through orders
            # is confirmed, and the restarted inventory holds its reservation.
            placed = httpx.post(
                f"http://127.0.0.1:{ports['orders']}/v1/orders",
                json={
                    "customer_id": "c-restart",
                    "items": [{"sku": "SKU-APPLE", "quantity": 1}],
                    "card_token": "tok_visa_4242",
                },
                headers={"idempotency-key": uuid.uuid4().hex},
                timeout=30,
            )
            assert placed.status_code == 201, placed.text
            assert placed.json()["status"] == "confirmed", placed.text
            held = httpx.get(
                f"http://127.0.0.1:{ports['inventory']}/v1/orders/{placed.json()['order_id']}"
                "/reservation",
                timeout=10,
            )
            assert held.status_code == 200, held.text

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


_FLAKY_APP = """
import asyncio
import os

import msgspec

from accord import App, Contract, Idempotency, operation


class Ping(msgspec.Struct):
    pass


class Pong(msgspec.Struct):
    ok: bool


class Flaky(Contract, name="flaky", version="1.0.0"):
    ping = operation(
        Ping, Pong, method="GET", path="/ping", idempotency=Idempotency.READ_ONLY, timeout=1.0
    )


class Implementation:
    async def ping(self, request: Ping) -> Pong:
        return Pong(ok=True)


def create_app() -> App:
    async def die_soon() -> None:
        asyncio.get_running_loop().call_later(1.0, os._exit, 3)

    return App(Flaky, Implementation(), on_startup=[die_soon])
"""


def test_a_service_that_keeps_crashing_is_given_up_on(tmp_path: Path) -> None:
    (tmp_path / "flaky_app.py").write_text(_FLAKY_APP)
    (tmp_path / "accord.toml").write_text(
        '[project]\nhome = "state"\n\n[services.flaky]\napp = "flaky_app:create_app"\n'
        f"port = {free_port()}\n"
    )
    project = projects.load(tmp_path / "accord.toml", environ={})
    notices: list[str] = []
    supervisor = Supervisor(
        project,
        environ={**os.environ, "ACCORD_AUTH": "off"},
        restart=RestartPolicy(initial=0.1, max_restarts=2),
        on_notice=notices.append,
    )

    async def scenario() -> str | None:
        await supervisor.start()
        first = supervisor.services["flaky"].process
        assert first is not None
        try:
            return await asyncio.wait_for(supervisor.wait(), 60)
        finally:
            await supervisor.stop()

    assert asyncio.run(scenario()) == "flaky"
    assert notices[0] == "flaky exited with 3; restarting in 0.1 s (restart 1)"
    assert notices[2] == "flaky exited with 3; restarting in 0.2 s (restart 2)"
    assert notices[-1] == "flaky exited with 3; gave up after 2 restarts"
    assert sum("is ready again" in n for n in notices) == 2
