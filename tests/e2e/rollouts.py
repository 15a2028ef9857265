"""What the rollout tests share, over plain HTTP (``test_rollout.py``) and mutual TLS
(``test_rollout_tls.py``): the shop under ``accord up``, a customer's load, and the
rollouts both run with what each must show.

One shop per module (free ports, a temporary ACCORD_HOME), real Envoy, real processes.
Candidates are the working tree under a new label, made bad through their fault
configuration. Steps are kept short through options; nothing here asserts a speed.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from accord.security import CertStore
from accord.security.tls import TLSConfig, client_context
from tests.support.processes import ROOT, free_port, stop

SERVICES = ("identity", "orders", "inventory", "payments")
FAST = ["--interval", "1", "--min-requests", "10", "--step-timeout", "90"]
# A fresh process answers its first requests slower (connections, key set): where latency
# is not what a test is about, its threshold is a second, so a cold start does not count.
LENIENT = [*FAST, "--latency-threshold", "1"]
#: The certificate a customer presents to the shop over mutual TLS.
CLIENT = "e2e-customer"


class Shop:
    """A running shop: its URLs, a customer's client and token, and ``accord`` in it."""

    def __init__(self, home: Path, ports: dict[str, int], *, tls: bool) -> None:
        self.home = home
        self.ports = ports
        self.tls = tls
        self.env = {**os.environ, "ACCORD_HOME": str(home)}
        self.auth: dict[str, str] = {}

    def url(self, name: str) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.ports[name]}"

    def client(self, peer: str) -> httpx.Client:
        """A customer's client of one service (presenting its certificate over TLS)."""
        if not self.tls:
            return httpx.Client(timeout=10)
        tls = TLSConfig(self.home / "certs", CLIENT)
        return httpx.Client(timeout=10, verify=client_context(tls, peer))

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


@contextmanager
def running_shop(factory: pytest.TempPathFactory, *, tls: bool) -> Iterator[Shop]:
    """``accord up`` (mutual TLS, the default, or ``--plain``) until the ``with`` ends,
    with a customer signed up (``shop.auth``)."""
    home = factory.mktemp("rollout-tls-home" if tls else "rollout-home")
    ports = {name: free_port() for name in SERVICES}
    mode = [] if tls else ["--plain"]
    argv = [sys.executable, "-m", "accord", "up", *mode, "--raw", "--console-port", "0"]
    for name, port in ports.items():
        argv += ["--port", f"{name}={port}"]
    shop = Shop(home, ports, tls=tls)
    log = (home / "up.log").open("wb")
    proc = subprocess.Popen(argv, cwd=ROOT, env=shop.env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not (home / "run.json").exists():  # written once every service is ready
            assert proc.poll() is None, (home / "up.log").read_text()
            assert time.monotonic() < deadline, "accord up did not start in time"
            time.sleep(0.1)
        if tls:
            CertStore(home / "certs").issue(CLIENT)
        shop.auth = _customer(shop)
        yield shop
    finally:
        stop(proc)
        log.close()


def _customer(shop: Shop) -> dict[str, str]:
    account = {"email": f"ro-{secrets.token_hex(6)}@shop.test", "password": "correct horse"}
    with shop.client("identity") as http:
        created = http.post(
            shop.url("identity") + "/v1/customers",
            json=account,
            headers={"idempotency-key": secrets.token_hex(8)},
        )
        assert created.status_code == 201, created.text
        login = http.post(shop.url("identity") + "/v1/login", json=account)
    return {"authorization": f"Bearer {login.json()['access_token']}"}


#: How many times a run's kept-alive connection may be found closed (and the GET sent
#: again on a new one) before it counts as a failure.
RECONNECTS_ALLOWED = 2


class Load:
    """Customers listing their orders through Envoy, from a thread, answers counted
    (one keep-alive client, as a browser would).

    Like a browser, it sends a GET again, once, on a new connection when the kept-alive
    one was closed before any answer came (``RemoteProtocolError``; RFC 9110 §9.2.2: a
    safe request may be retried). A process that stops closes its idle connections, and
    a request already on its way on one of them meets the close; that is a race of
    HTTP/1.1 keep-alive, not a failed request. More than :data:`RECONNECTS_ALLOWED` in a
    run is counted as a failure."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.codes: Counter[int | str] = Counter()
        self.reconnects = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _get(self, http: httpx.Client) -> httpx.Response:
        url = self.shop.url("orders") + "/v1/orders?limit=1"
        try:
            return http.get(url, headers=self.shop.auth)
        except httpx.RemoteProtocolError:
            self.reconnects += 1
            return http.get(url, headers=self.shop.auth)

    def _run(self) -> None:
        with self.shop.client("orders") as http:
            while not self._stop.is_set():
                try:
                    self.codes[self._get(http).status_code] += 1
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
        failed: dict[int | str, int] = {k: v for k, v in self.codes.items() if k != 200}
        if self.reconnects > RECONNECTS_ALLOWED:
            failed["reconnects"] = self.reconnects
        return failed


def orders_only_on(shop: Shop, version: str) -> None:
    """The run file and the route agree: orders runs ``version`` alone, at 100 %."""
    run = shop.run_file()
    assert run["services"]["orders"]["version"] == version
    assert run["dataplane"]["instances"].get("orders", {}) == {}
    assert shop.status()["orders"]["weights"] == {f"orders--{version}": 100}


def wait_gone(shop: Shop, version: str, timeout: float = 30) -> None:
    """Until orders' ``version`` no longer runs."""
    deadline = time.monotonic() + timeout
    while version in shop.run_file()["dataplane"]["instances"].get("orders", {}):
        assert time.monotonic() < deadline, f"{version} still runs"
        time.sleep(0.1)


def good_canary(shop: Shop, version: str) -> dict[str, Any]:
    """A canary of a good ``version`` under load: promoted through every step with no
    failed request, the old process gone. Its result, for further checks."""
    old_pid = shop.run_file()["services"]["orders"]["pid"]
    with Load(shop) as load:
        code, result, out = shop.rollout("orders", version, "--working-tree", *LENIENT)
    assert code == 0, out
    assert result["outcome"] == "promoted"
    assert [s["weight"] for s in result["steps"]] == [5, 25, 50, 100]
    assert result["failed_requests"] == 0
    assert load.failures() == {}, load.codes
    orders_only_on(shop, version)
    with pytest.raises(ProcessLookupError):
        os.kill(old_pid, 0)
    return result


def bad_canary(shop: Shop, version: str, *options: str) -> dict[str, Any]:
    """A canary answering 20 % of its requests 503, under load: rolled back on
    availability, gone, the stable version alone again. Its result."""
    stable = shop.run_file()["services"]["orders"]["version"]
    faults = json.dumps({"abort": {"status": 503, "percent": 20}})
    with Load(shop):
        code, result, out = shop.rollout(
            "orders", version, "--working-tree", "--faults", faults, *options
        )
    assert code == 1, out
    assert result["outcome"] == "rolled_back"
    assert "availability" in result["reason"], result
    assert result["failed_requests"] > 0
    wait_gone(shop, version)
    orders_only_on(shop, stable)
    return result


@dataclass
class Switched:
    """What a blue-green switch and its rollback showed (:func:`blue_green`)."""

    blue: str
    #: Orders' ``accord rollout status`` entry right after the switch.
    entry: dict[str, Any]
    #: ``accord rollback orders``, run after it.
    back: subprocess.CompletedProcess[str]
    load: Load


def blue_green(shop: Shop, version: str) -> Switched:
    """A blue-green switch to ``version`` under load, promoted, then ``accord rollback``:
    no request failed and blue runs alone again."""
    blue = shop.run_file()["services"]["orders"]["version"]
    with Load(shop) as load:
        code, result, out = shop.rollout(
            "orders", version, "--strategy", "blue-green", "--working-tree", *LENIENT
        )
        assert code == 0, out
        assert result["outcome"] == "promoted" and result["switch_seconds"] is not None
        entry = shop.status()["orders"]
        assert entry["weights"] == {f"orders--{version}": 100}
        back = shop.accord("rollback", "orders")
        assert back.returncode == 0, back.stderr
        time.sleep(1.5)  # past the connections' maximum age (TLS): the load is back on blue
    assert load.failures() == {}, load.codes
    wait_gone(shop, version)
    orders_only_on(shop, blue)
    return Switched(blue, entry, back, load)
