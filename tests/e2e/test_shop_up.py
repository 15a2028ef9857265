"""End to end: `accord up` runs the shop as real processes on loopback, over mutual TLS
(the default): the tests call it as a client of the CA it made.

One shop is started for the module (free ports, a temporary ACCORD_HOME) and stopped by
PID at the end; the tests talk to it over real HTTP, as a customer who registered with
the identity service and logged in.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from accord.security import CertStore
from tests.support.processes import ROOT, free_port, stop

pytestmark = pytest.mark.e2e

SERVICES = ("identity", "orders", "inventory", "payments")
CLIENT = "e2e-client"


class Shop:
    def __init__(self, home: Path, ports: dict[str, int], proc: subprocess.Popen[bytes]) -> None:
        self.home = home
        self.ports = ports
        self.proc = proc
        self.http = httpx.Client()

    def url(self, name: str) -> str:
        return f"https://127.0.0.1:{self.ports[name]}"

    def trust(self) -> None:
        """Call the shop as a client of its CA, with a certificate of it (which inventory
        and payments, not reached by customers, ask for)."""
        store = CertStore(self.home / "certs")
        store.issue(CLIENT)
        ctx = ssl.create_default_context(cafile=str(store.ca_cert_path))
        ctx.load_cert_chain(str(store.cert_path(CLIENT)), str(store.key_path(CLIENT)))
        self.http = httpx.Client(verify=ctx, timeout=15)

    def customer(self) -> dict[str, str]:
        """A new customer's ``Authorization`` header (registered, then logged in)."""
        account = {"email": f"e2e-{secrets.token_hex(6)}@shop.test", "password": "correct horse"}
        registered = self.http.post(
            self.url("identity") + "/v1/customers",
            json=account,
            headers={"idempotency-key": secrets.token_hex(8)},
        )
        assert registered.status_code == 201, registered.text
        login = self.http.post(self.url("identity") + "/v1/login", json=account)
        assert login.status_code == 200, login.text
        return {"authorization": f"Bearer {login.json()['access_token']}"}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    home = tmp_path_factory.mktemp("shop-home")
    # A copy of the configuration: the demo flips the kill switch in its flags file.
    shutil.copytree(ROOT / "config", home / "config")
    ports = {name: free_port() for name in SERVICES}
    argv = [sys.executable, "-m", "accord", "up", "--raw"]
    for name, port in ports.items():
        argv += ["--port", f"{name}={port}"]
    env = {**os.environ, "ACCORD_HOME": str(home), "ACCORD_CONFIG_DIR": str(home / "config")}
    log = (home / "up.log").open("wb")
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    shop = Shop(home, ports, proc)
    try:
        _wait_up(home, proc)
        shop.trust()
        yield shop
    finally:
        shop.http.close()
        stop(proc)
        log.close()


def _wait_up(home: Path, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    """Until the run file appears: every service answered its readiness over mutual TLS."""
    deadline = time.monotonic() + timeout
    while not (home / "run.json").exists():
        assert proc.poll() is None, "accord up exited"
        assert time.monotonic() < deadline, "accord up did not start in time"
        time.sleep(0.1)


def _spans(home: Path, trace_id: str) -> list[dict[str, object]]:
    spans: list[dict[str, object]] = []
    for path in (home / "telemetry").glob("*.jsonl"):
        for line in path.read_bytes().splitlines():
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            for rs in doc.get("resourceSpans", []):
                attrs = {a["key"]: a["value"] for a in rs["resource"].get("attributes", [])}
                service = attrs.get("service.name", {}).get("stringValue")
                for ss in rs.get("scopeSpans", []):
                    for span in ss.get("spans", []):
                        if span["traceId"] == trace_id:
                            spans.append({**span, "service": service})
    return spans


def test_probes_answer(shop: Shop) -> None:
    for name in SERVICES:
        assert shop.http.get(shop.url(name) + "/livez").status_code == 200
        ready = shop.http.get(shop.url(name) + "/readyz")
        assert ready.status_code == 200, ready.text
        doc = shop.http.get(shop.url(name) + "/openapi.json").json()
        assert doc["openapi"] == "3.1.0"


def test_an_order_is_traced_across_three_services(shop: Shop) -> None:
    trace_id = secrets.token_hex(16)
    parent = secrets.token_hex(8)
    r = shop.http.post(
        shop.url("orders") + "/v1/orders",
        json={
            "items": [{"sku": "SKU-APPLE", "quantity": 1}],
            "card_token": "tok_visa_4242",
        },
        headers={
            **shop.customer(),
            "traceparent": f"00-{trace_id}-{parent}-01",
            "idempotency-key": secrets.token_hex(8),
            "x-correlation-id": "e2e-corr-1",
        },
        timeout=10,
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "confirmed"
    assert r.headers["x-correlation-id"] == "e2e-corr-1"

    deadline = time.monotonic() + 15
    spans: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        spans = _spans(shop.home, trace_id)
        # Each process writes its spans as they end: orders' own span, which ends after
        # the answer, may land after the spans of the calls it made.
        ids = {s["spanId"] for s in spans}
        if {"orders", "inventory", "payments"} <= {s["service"] for s in spans} and all(
            s.get("parentSpanId") in ids | {parent} for s in spans
        ):
            break
        time.sleep(0.25)
    services = {s["service"] for s in spans}
    assert {"orders", "inventory", "payments"} <= services, spans
    ids = {s["spanId"] for s in spans}
    for span in spans:
        assert span.get("parentSpanId") in ids | {parent}, span
    roots = [s for s in spans if s.get("parentSpanId") == parent]
    assert len(roots) == 1 and roots[0]["service"] == "orders"
    assert roots[0]["kind"] == 2  # SERVER


def test_metrics_show_the_duration_histogram(shop: Shop) -> None:
    shop.http.get(shop.url("inventory") + "/v1/skus/SKU-APPLE")
    text = shop.http.get(shop.url("inventory") + "/metrics").text
    assert "http_server_request_duration_seconds_bucket" in text
    assert 'http_route="/v1/skus/{sku}"' in text
    assert "SKU-APPLE" not in text


def test_errors_are_problem_json(shop: Shop) -> None:
    customer = shop.customer()
    r = shop.http.post(
        shop.url("orders") + "/v1/orders",
        json={"items": [{"sku": "SKU-APPLE", "quantity": 0}], "card_token": "tok_x"},
        headers={**customer, "idempotency-key": secrets.token_hex(8)},
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "validation_failed"
    assert body["errors"][0]["path"] == "$.items[0].quantity"
    missing = shop.http.get(shop.url("orders") + "/v1/orders/does-not-exist", headers=customer)
    assert missing.status_code == 404 and missing.json()["code"] == "orders.order_not_found"
    anonymous = shop.http.get(shop.url("orders") + "/v1/orders/does-not-exist")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthenticated"
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="orders"'


def test_demo_runs_against_the_running_shop(shop: Shop) -> None:
    flags = shop.home / "config" / "dev" / "flags.json"
    before = flags.read_bytes()
    env = {
        **os.environ,
        "ACCORD_HOME": str(shop.home),
        "ACCORD_CONFIG_DIR": str(shop.home / "config"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "accord", "demo"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "using the services" in done.stdout
    assert "orders.out_of_stock" in done.stdout
    assert "another customer reads it" in done.stdout
    assert "pause-orders on" in done.stdout and "orders.paused" in done.stdout
    assert flags.read_bytes() == before, "the demo puts the flags file back"


def test_traces_command_shows_a_waterfall(shop: Shop) -> None:
    """`accord traces ID` draws the trace of an order this test placed, with a span of
    every service the order went through."""
    trace_id = secrets.token_hex(16)
    placed = shop.http.post(
        shop.url("orders") + "/v1/orders",
        json={"items": [{"sku": "SKU-PEAR", "quantity": 1}], "card_token": "tok_visa_4242"},
        headers={
            **shop.customer(),
            "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01",
            "idempotency-key": secrets.token_hex(8),
        },
        timeout=10,
    )
    assert placed.status_code == 201, placed.text
    touched = {"orders", "inventory", "payments"}
    deadline = time.monotonic() + 30  # spans are exported in batches
    while not touched <= {s["service"] for s in _spans(shop.home, trace_id)}:
        assert time.monotonic() < deadline, _spans(shop.home, trace_id)
        time.sleep(0.25)

    env = {**os.environ, "ACCORD_HOME": str(shop.home)}
    shown = subprocess.run(
        [sys.executable, "-m", "accord", "traces", trace_id[:12]],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert trace_id in shown.stdout
    for service in touched:
        assert service in shown.stdout, shown.stdout
    assert "POST /v1/orders" in shown.stdout, shown.stdout
    listed = subprocess.run(
        [sys.executable, "-m", "accord", "traces", "--last", "50"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert trace_id[:8] in listed.stdout


def test_sigterm_stops_everything_gracefully(tmp_path: Path) -> None:
    ports = {name: free_port() for name in SERVICES}
    argv = [sys.executable, "-m", "accord", "up"]
    for name, port in ports.items():
        argv += ["--port", f"{name}={port}"]
    env = {**os.environ, "ACCORD_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        _wait_up(tmp_path, proc)
        run = json.loads((tmp_path / "run.json").read_text())
        pids = [svc["pid"] for svc in run["services"].values()]
        assert stop(proc, sig=signal.SIGTERM) == 0
        for pid in pids:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
        assert not (tmp_path / "run.json").exists()
    finally:
        stop(proc)


def _kid(authorization: dict[str, str]) -> str:
    token = authorization["authorization"].removeprefix("Bearer ")
    header = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


def test_rotating_identity_keys_while_orders_flow_fails_none(shop: Shop) -> None:
    """Orders are placed through real orders, inventory and payments processes while
    identity's signing key rotates: tokens of the old key and of the new one are both
    accepted by every service, and no order fails."""
    before = shop.customer()
    statuses: list[int] = []

    def place(customer: dict[str, str]) -> None:
        answer = shop.http.post(
            shop.url("orders") + "/v2/orders",
            json={"items": [{"sku": "SKU-APPLE", "quantity": 1}], "card_token": "tok_visa_4242"},
            headers={**customer, "idempotency-key": secrets.token_hex(8)},
            timeout=15,
        )
        statuses.append(answer.status_code)
        assert answer.status_code == 201, answer.text
        time.sleep(0.12)  # within orders' limit of 10 orders a second per customer

    for _ in range(5):
        place(before)
    env = {**os.environ, "ACCORD_HOME": str(shop.home)}
    rotated = subprocess.Popen(
        [sys.executable, "-m", "accord", "keys", "rotate", "--min-age", "0",
         "--home", str(shop.home)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    while rotated.poll() is None:  # orders keep flowing while the key changes
        place(before)
    assert rotated.returncode == 0, rotated.communicate()[0]
    deadline = time.monotonic() + 30
    after = shop.customer()
    while _kid(after) == _kid(before):  # identity signs with the new key soon after
        assert time.monotonic() < deadline, "identity never signed with the new key"
        place(before)
        after = shop.customer()
    for _ in range(5):
        place(after)
        place(before)
    assert set(statuses) == {201}, statuses


def test_slo_status_reads_the_services_over_mutual_tls(shop: Shop) -> None:
    """`accord slo status` scrapes each service's /metrics as the supervisor."""
    env = {**os.environ, "ACCORD_HOME": str(shop.home)}
    done = subprocess.run(
        [sys.executable, "-m", "accord", "slo", "status", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    rows = json.loads(done.stdout)
    assert {row["service"] for row in rows} >= {"orders", "inventory", "payments"}


def _mapped(pid: int) -> str:
    """The files process ``pid`` maps (its shared libraries and extension modules)."""
    return Path(f"/proc/{pid}/maps").read_text(encoding="utf-8")


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc (Linux only)")
def test_each_process_loads_only_what_it_uses(shop: Shop) -> None:
    """accord up carries neither Typer's pydantic nor the services' database libraries,
    and orders reads its flag file without gRPC (decision 0021)."""
    supervisor = _mapped(shop.proc.pid)
    assert "/msgspec/" in supervisor, "the check reads what it means to"
    for library in ("/pydantic_core/", "libsqlite3", "/grpc/"):
        assert library not in supervisor, library
    run = json.loads((shop.home / "run.json").read_text())
    orders = _mapped(int(run["services"]["orders"]["pid"]))
    assert "libsqlite3" in orders
    assert "/grpc/" not in orders
