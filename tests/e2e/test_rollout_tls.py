"""End to end: ``accord rollout`` on a shop that runs over mutual TLS.

Envoy passes TLS through and counts no requests, so a rollout judges each version from
its own ``/metrics`` (scraped with the supervisor's certificate), and the services close
a kept-alive connection after its first response past a second, so Envoy weighs the
callers' connections again (docs/decisions/0018-encrypted-by-default.md). The customers'
load keeps one client with keep-alive, as a browser would: the candidate still gets its
share. Nothing here asserts a speed.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from accord.security import CertStore
from accord.security.tls import TLSConfig, client_context
from tests.e2e.test_rollout import FAST, LENIENT, SERVICES, Load, Shop
from tests.support.processes import ROOT, free_port, stop

pytestmark = pytest.mark.e2e

CLIENT = "e2e-customer"


class TLSShop(Shop):
    def url(self, name: str) -> str:
        return f"https://127.0.0.1:{self.ports[name]}"

    def client(self, peer: str) -> httpx.Client:
        tls = TLSConfig(self.home / "certs", CLIENT)
        return httpx.Client(timeout=10, verify=client_context(tls, peer))


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TLSShop]:
    home = tmp_path_factory.mktemp("rollout-tls-home")
    ports = {name: free_port() for name in SERVICES}
    argv = [sys.executable, "-m", "accord", "up", "--raw", "--console-port", "0"]
    for name, port in ports.items():
        argv += ["--port", f"{name}={port}"]
    shop = TLSShop(home, ports)
    log = (home / "up.log").open("wb")
    proc = subprocess.Popen(argv, cwd=ROOT, env=shop.env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not (home / "run.json").exists():
            assert proc.poll() is None, (home / "up.log").read_text()
            assert time.monotonic() < deadline, "accord up did not start in time"
            time.sleep(0.1)
        CertStore(home / "certs").issue(CLIENT)
        shop.auth = _customer(shop)
        yield shop
    finally:
        stop(proc)
        log.close()


def _customer(shop: TLSShop) -> dict[str, str]:
    account = {"email": f"rt-{secrets.token_hex(6)}@shop.test", "password": "correct horse"}
    with shop.client("identity") as http:
        created = http.post(
            shop.url("identity") + "/v1/customers",
            json=account,
            headers={"idempotency-key": secrets.token_hex(8)},
        )
        assert created.status_code == 201, created.text
        login = http.post(shop.url("identity") + "/v1/login", json=account)
    return {"authorization": f"Bearer {login.json()['access_token']}"}


def test_the_system_runs_tls_passthrough(shop: TLSShop) -> None:
    run = shop.run_file()
    assert run["dataplane"]["tls_passthrough"] is True
    with shop.client("orders") as http:
        r = http.get(shop.url("orders") + "/v1/orders?limit=1", headers=shop.auth)
    assert r.status_code == 200, r.text


def test_a_good_canary_is_promoted_over_tls(shop: TLSShop) -> None:
    old_pid = shop.run_file()["services"]["orders"]["pid"]
    with Load(shop) as load:
        code, result, out = shop.rollout("orders", "good-t1", "--working-tree", *LENIENT)
    assert code == 0, out
    assert result["outcome"] == "promoted"
    assert [s["weight"] for s in result["steps"]] == [5, 25, 50, 100]
    # judged from the versions' own metrics: the candidate answered at every step
    assert all(s["candidate"]["requests"] > 0 for s in result["steps"]), result["steps"]
    assert result["failed_requests"] == 0
    assert load.failures() == {}, load.codes
    assert shop.run_file()["services"]["orders"]["version"] == "good-t1"
    assert shop.status()["orders"]["weights"] == {"orders--good-t1": 100}
    with pytest.raises(ProcessLookupError):
        os.kill(old_pid, 0)


def test_a_bad_canary_is_rolled_back_over_tls(shop: TLSShop) -> None:
    stable = shop.run_file()["services"]["orders"]["version"]
    faults = json.dumps({"abort": {"status": 503, "percent": 20}})
    with Load(shop):
        code, result, out = shop.rollout(
            "orders", "bad-t1", "--working-tree", "--faults", faults, *FAST
        )
    assert code == 1, out
    assert result["outcome"] == "rolled_back"
    assert "availability" in result["reason"], result
    assert result["failed_requests"] > 0
    deadline = time.monotonic() + 30
    while "bad-t1" in shop.run_file()["dataplane"]["instances"].get("orders", {}):
        assert time.monotonic() < deadline, "bad-t1 still runs"
        time.sleep(0.1)
    assert shop.run_file()["services"]["orders"]["version"] == stable
    assert shop.status()["orders"]["weights"] == {f"orders--{stable}": 100}


def test_blue_green_over_tls_smokes_through_the_preview_and_rolls_back(shop: TLSShop) -> None:
    blue = shop.run_file()["services"]["orders"]["version"]
    with Load(shop) as load:
        code, result, out = shop.rollout(
            "orders", "green-t1", "--strategy", "blue-green", "--working-tree", *LENIENT
        )
        assert code == 0, out
        assert result["outcome"] == "promoted" and result["switch_seconds"] is not None
        assert shop.status()["orders"]["weights"] == {"orders--green-t1": 100}
        back = shop.accord("rollback", "orders")
        assert back.returncode == 0, back.stderr
        time.sleep(1.5)  # past the connections' maximum age: the load is back on blue
    assert load.failures() == {}, load.codes
    assert shop.run_file()["services"]["orders"]["version"] == blue
