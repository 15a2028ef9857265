"""End to end: releases behind Envoy with ``accord rollout`` against a real ``accord up``.

One shop for the module (free ports, a temporary ACCORD_HOME), real Envoy, real
processes. Candidates are the working tree under a new label, made bad through their
fault configuration. A background load of customer requests to orders runs through
Envoy during each rollout, and its answers are checked too. Steps are kept short
through options; nothing here asserts a speed.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.processes import ROOT, free_port, stop, wait_http

pytestmark = pytest.mark.e2e

SERVICES = ("identity", "orders", "inventory", "payments")
FAST = ["--interval", "1", "--min-requests", "10", "--step-timeout", "90"]
# A fresh process answers its first requests slower (connections, key set): where latency
# is not what a test is about, its threshold is a second, so a cold start does not count.
LENIENT = [*FAST, "--latency-threshold", "1"]


class Shop:
    def __init__(self, home: Path, ports: dict[str, int]) -> None:
        self.home = home
        self.ports = ports
        self.env = {**os.environ, "ACCORD_HOME": str(home)}
        self.auth: dict[str, str] = {}

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def client(self, peer: str) -> httpx.Client:
        """A customer's client of one service."""
        return httpx.Client(timeout=10)

    def run_file(self) -> dict[str, Any]:
        return dict(json.loads((self.home / "run.json").read_text()))

    def accord(self, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "accord", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip

    def rollout(self, *args: str) -> tuple[int, dict[str, Any], str]:
        done = self.accord("rollout", *args, "--json")
        try:
            result = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout else {}
        except ValueError:
            result = {}
        return done.returncode, result, done.stdout + done.stderr

    def status(self) -> dict[str, Any]:
        done = self.accord("rollout", "status", "--json")
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))


class Load:
    """Customers listing their orders through Envoy, from a thread, answers counted."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.codes: Counter[int | str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with self.shop.client("orders") as http:
            while not self._stop.is_set():
                try:
                    r = http.get(
                        self.shop.url("orders") + "/v1/orders?limit=1", headers=self.shop.auth
                    )
                    self.codes[r.status_code] += 1
                except httpx.HTTPError as exc:
                    self.codes[type(exc).__name__] += 1
                time.sleep(0.01)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(15)

    def failures(self) -> dict[int | str, int]:
        return {k: v for k, v in self.codes.items() if k != 200}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    home = tmp_path_factory.mktemp("rollout-home")
    ports = {name: free_port() for name in SERVICES}
    # Envoy routing HTTP (--plain): its statistics and access log are what is checked here;
    # the same rollouts over the default mutual TLS are test_rollout_tls.py's.
    argv = [sys.executable, "-m", "accord", "up", "--plain", "--raw"]
    for name, port in ports.items():
        argv += ["--port", f"{name}={port}"]
    shop = Shop(home, ports)
    log = (home / "up.log").open("wb")
    proc = subprocess.Popen(argv, cwd=ROOT, env=shop.env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for name in SERVICES:
            wait_http(shop.url(name) + "/readyz", timeout=90)
        deadline = time.monotonic() + 30
        while not (home / "run.json").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        shop.auth = _customer(shop)
        yield shop
    finally:
        stop(proc)
        log.close()


def _customer(shop: Shop) -> dict[str, str]:
    account = {"email": f"ro-{secrets.token_hex(6)}@shop.test", "password": "correct horse"}
    created = httpx.post(
        shop.url("identity") + "/v1/customers",
        json=account,
        headers={"idempotency-key": secrets.token_hex(8)},
    )
    assert created.status_code == 201, created.text
    login = httpx.post(shop.url("identity") + "/v1/login", json=account)
    return {"authorization": f"Bearer {login.json()['access_token']}"}


def _orders_only_on(shop: Shop, version: str) -> None:
    """The run file and the route agree: orders runs ``version`` alone, at 100 %."""
    run = shop.run_file()
    assert run["services"]["orders"]["version"] == version
    assert run["dataplane"]["instances"].get("orders", {}) == {}
    assert shop.status()["orders"]["weights"] == {f"orders--{version}": 100}


def _wait_gone(shop: Shop, version: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while version in shop.run_file()["dataplane"]["instances"].get("orders", {}):
        assert time.monotonic() < deadline, f"{version} still runs"
        time.sleep(0.1)


def test_every_call_goes_through_envoy(shop: Shop) -> None:
    run = shop.run_file()
    for name in SERVICES:
        assert run["services"][name]["port"] != shop.ports[name]
    r = httpx.get(
        shop.url("orders") + "/v1/orders?limit=1",
        headers={**shop.auth, "x-correlation-id": "ro-corr-1",
                 "traceparent": f"00-{'ab' * 16}-{'cd' * 8}-01"},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    admin = run["dataplane"]["admin"]
    assert admin.startswith("http://127.0.0.1:")
    stats = httpx.get(
        admin + "/stats", params={"filter": r"^cluster\.orders--working\.upstream_rq_2xx"}
    )
    assert int(stats.text.split(":")[-1]) >= 1
    ours = _logged(Path(run["dataplane"]["access_log"]), "ro-corr-1")
    assert ours and ours[0]["trace_id"] == "ab" * 16 and ours[0]["upstream"] == "orders--working"


def _logged(path: Path, correlation_id: str, timeout: float = 15) -> list[dict[str, Any]]:
    """Access log entries of one correlation id (Envoy flushes its log every second)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = path.read_text().splitlines() if path.exists() else []
        found = [json.loads(x) for x in lines if f'"{correlation_id}"' in x]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_a_good_canary_is_promoted(shop: Shop) -> None:
    old_pid = shop.run_file()["services"]["orders"]["pid"]
    with Load(shop) as load:
        code, result, out = shop.rollout("orders", "good-1", "--working-tree", *LENIENT)
    assert code == 0, out
    assert result["outcome"] == "promoted"
    assert [s["weight"] for s in result["steps"]] == [5, 25, 50, 100]
    assert result["failed_requests"] == 0
    assert load.failures() == {}, load.codes
    _orders_only_on(shop, "good-1")
    with pytest.raises(ProcessLookupError):
        os.kill(old_pid, 0)


def test_a_bad_canary_is_rolled_back_on_availability(shop: Shop) -> None:
    stable = shop.run_file()["services"]["orders"]["version"]
    faults = json.dumps({"abort": {"status": 503, "percent": 20}})
    with Load(shop):
        code, result, out = shop.rollout(
            "orders", "bad-1", "--working-tree", "--faults", faults, *LENIENT
        )
    assert code == 1, out
    assert result["outcome"] == "rolled_back"
    # orders declares availability 99.9 % (shop/orders/slo.py): the reason names it
    assert "availability" in result["reason"] and "< 99.90% (SLO)" in result["reason"], result
    assert result["failed_requests"] > 0 and result["detection_seconds"] is not None
    trail = (shop.home / "audit" / "operator.jsonl").read_text().splitlines()
    started, ended = (json.loads(line) for line in trail[-2:])
    assert (started["action"], started["target"]) == ("rollout.started", "orders")
    assert started["details"]["version"] == "bad-1"
    assert (ended["action"], ended["details"]["reason"]) == (
        "rollout.rolled_back",
        result["reason"],
    )
    _wait_gone(shop, "bad-1")
    _orders_only_on(shop, stable)


def test_a_slow_canary_is_rolled_back_on_latency(shop: Shop) -> None:
    stable = shop.run_file()["services"]["orders"]["version"]
    faults = json.dumps({"delay": {"seconds": 0.3}})
    with Load(shop) as load:
        code, result, out = shop.rollout(
            "orders", "slow-1", "--working-tree", "--faults", faults, *FAST
        )
    assert code == 1, out
    # orders declares no service-wide latency objective: the default's, 90 % within 250 ms
    assert "latency" in result["reason"] and "< 90.00% (SLO)" in result["reason"], result
    assert load.failures() == {}, load.codes
    _wait_gone(shop, "slow-1")
    _orders_only_on(shop, stable)


def test_blue_green_switches_and_rolls_back_without_a_failed_request(shop: Shop) -> None:
    blue = shop.run_file()["services"]["orders"]["version"]
    with Load(shop) as load:
        code, result, out = shop.rollout(
            "orders", "green-1", "--strategy", "blue-green", "--working-tree", *LENIENT
        )
        assert code == 0, out
        assert result["outcome"] == "promoted" and result["switch_seconds"] is not None
        entry = shop.status()["orders"]
        assert entry["primary"] == "green-1" and entry["warm"] == [blue]
        assert entry["weights"] == {"orders--green-1": 100}
        back = shop.accord("rollback", "orders")
        assert back.returncode == 0, back.stderr
        assert f"back on {blue}" in back.stdout
        last = json.loads((shop.home / "audit" / "operator.jsonl").read_text().splitlines()[-1])
        assert (last["action"], last["target"]) == ("rollout.rolled_back", "orders")
        assert last["details"]["version"] == blue
        time.sleep(1.0)
    assert load.failures() == {}, load.codes
    assert sum(load.codes.values()) > 20
    _wait_gone(shop, "green-1")
    _orders_only_on(shop, blue)
    again = shop.accord("rollback", "orders")
    assert again.returncode == 2 and "nothing to roll back to" in again.stderr


def _wait_phase(shop: Shop, phase: str, weight: int, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ro = shop.status()["orders"].get("rollout", {})
        if ro.get("phase") == phase and ro.get("weights", {}).get(ro.get("candidate")) == weight:
            return dict(ro)
        time.sleep(0.2)
    raise AssertionError(f"the rollout never reached {phase} at {weight} %")


def _start_rollout(shop: Shop, version: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "accord", "rollout", "orders", version, "--working-tree",
         "--steps", "50,100", "--interval", "60", "--min-requests", "5",
         "--latency-threshold", "1"],
        cwd=ROOT, env=shop.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def test_killing_the_rollout_midway_returns_traffic_to_stable_and_says_so(shop: Shop) -> None:
    stable = shop.run_file()["services"]["orders"]["version"]
    with Load(shop) as load:
        proc = _start_rollout(shop, "killed-1")
        try:
            _wait_phase(shop, "analysing", 50)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            _wait_gone(shop, "killed-1")
        finally:
            stop(proc)
    entry = shop.status()["orders"]
    assert entry["rollout"]["running"] is False
    assert "all traffic back on" in entry["rollout"]["interrupted"], entry
    assert load.failures() == {}, load.codes
    _orders_only_on(shop, stable)


def test_a_second_rollout_is_refused_and_abort_rolls_the_first_back(shop: Shop) -> None:
    stable = shop.run_file()["services"]["orders"]["version"]
    proc = _start_rollout(shop, "first-1")
    try:
        _wait_phase(shop, "analysing", 50)
        second = shop.accord("rollout", "orders", "second-1", "--working-tree")
        assert second.returncode == 2
        assert second.stderr.strip().splitlines() == [
            f"accord: a rollout of orders is already running (pid {proc.pid})"
        ]
        aborted = shop.accord("rollout", "abort", "orders")
        assert aborted.returncode == 0, aborted.stderr
        assert "aborted by hand" in aborted.stdout
        proc.communicate(timeout=60)
        assert proc.returncode == 1
    finally:
        stop(proc)
    _wait_gone(shop, "first-1")
    _orders_only_on(shop, stable)


def test_a_candidate_that_never_becomes_ready_is_rolled_back_after_a_timeout(shop: Shop) -> None:
    stable = shop.run_file()["services"]["orders"]["version"]
    with socket.socket() as silent:  # accepts connections, never answers one
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"postgresql+psycopg://u:p@127.0.0.1:{silent.getsockname()[1]}/orders"
        code, result, out = shop.rollout(
            "orders", "stuck-1", "--working-tree", "--env", f"ORDERS_DATABASE_URL={url}",
            "--ready-timeout", "2", *LENIENT,
        )  # fmt: skip
    assert code == 1, out
    assert result["outcome"] == "rolled_back"
    assert "stuck-1" in result["reason"] and "ready" in result["reason"], result
    _wait_gone(shop, "stuck-1")
    _orders_only_on(shop, stable)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "v1", "--working-tree"], "accord: unknown service 'nope'"),
        (["orders", "v9"], "accord: unknown version: no release v9 of orders (none built)"),
        (["orders", "v1", "--strategy", "linear"],
         "accord: unknown strategy 'linear' (canary or blue-green)"),
        (["orders", "v1", "--working-tree", "--steps", "50,20"],
         "accord: --steps must rise within 1..100, not '50,20'"),
        (["abort", "orders"], "accord: no rollout of orders to abort"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(shop: Shop, args: list[str], message: str) -> None:
    done = shop.accord("rollout", *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == [message]
