"""End to end: the console in a real browser over a real shop.

`accord up` starts the shop on free ports with the console beside it; headless Chromium
(Debian's package, driven by Playwright) opens the page, reads the live figures, registers
and logs in through the "try it" forms, places an order, sees a problem answer, and opens
the order's trace as a waterfall. Screenshots are saved under the test's folder and their
paths printed.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from accord.security import CertStore
from accord.security.tls import TLSConfig, client_context
from tests.support.processes import ROOT, free_port, running, stop, wait_http
from tests.support.system import require

pytestmark = pytest.mark.e2e

SERVICES = ("identity", "inventory", "payments", "orders")
CLIENT = "e2e-client"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


class Shop:
    def __init__(self, home: Path, ports: dict[str, int], console: int) -> None:
        self.home, self.ports, self.console_port = home, ports, console

    @property
    def console(self) -> str:
        return f"http://127.0.0.1:{self.console_port}"

    def url(self, name: str) -> str:
        return f"https://127.0.0.1:{self.ports[name]}"

    def get(self, name: str, path: str) -> httpx.Response:
        """GET from a service over mutual TLS, with a certificate of the shop's CA."""
        store = CertStore(self.home / "certs")
        if not store.cert_path(CLIENT).exists():
            store.issue(CLIENT)
        with httpx.Client(verify=client_context(TLSConfig(store.directory, CLIENT), name)) as h:
            return h.get(self.url(name) + path)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    home = tmp_path_factory.mktemp("console-shop")
    shutil.copytree(ROOT / "config", home / "config")
    ports = {name: free_port() for name in SERVICES}
    console = free_port()
    argv = [sys.executable, "-m", "accord", "up", "--raw", "--console-port", str(console)]
    for name, port in ports.items():
        argv += ["--port", f"{name}={port}"]
    env = {**os.environ, "ACCORD_HOME": str(home), "ACCORD_CONFIG_DIR": str(home / "config")}
    log = (home / "up.log").open("wb")
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:  # the shop over mutual TLS (the default); the console reads it as the supervisor
        deadline = time.monotonic() + 90
        while not (home / "run.json").exists():
            assert proc.poll() is None, (home / "up.log").read_text()
            assert time.monotonic() < deadline, "accord up did not start in time"
            time.sleep(0.1)
        wait_http(f"http://127.0.0.1:{console}/api/services", timeout=30)
        yield Shop(home, ports, console)
    finally:
        stop(proc)
        log.close()


@pytest.fixture(scope="module")
def chromium_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    chromium = require("chromium")  # Debian's package; no browser is ever downloaded
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium,
            args=ARGS,
            headless=True,
            viewport={"width": 1360, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


def _shot(page: Any, folder: Path, name: str) -> None:
    path = folder / f"console-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


def _try(page: Any, op: str, body: dict[str, Any]) -> Any:
    """Open operation ``op`` in the reference, put ``body`` in its form, send it and
    return the answer's element once it is there."""
    details = page.locator(f'details.op[data-op="{op}"]').first
    details.locator("summary").click()
    details.locator("textarea.body-input").fill(json.dumps(body))
    details.locator("button.send").click()
    answer = details.locator(".answer")
    answer.wait_for(timeout=20_000)
    return answer


def test_the_console_shows_the_live_shop_and_an_order_through_try_it(
    chromium_context: Any, shop: Shop, tmp_path: Path
) -> None:
    for _ in range(5):  # traffic for the live figures
        assert shop.get("inventory", "/v1/skus/SKU-APPLE").status_code in (200, 401)
    page = chromium_context.new_page()
    page.goto(shop.console + "/#overview")
    for name in SERVICES:
        badge = page.locator(f'#services tr[data-service="{name}"] .badge')
        badge.filter(has_text="ready").wait_for(timeout=20_000)
    assert page.locator("#services tbody tr").count() == len(SERVICES)
    shop.get("inventory", "/v1/skus/SKU-APPLE")
    rate = page.locator('#services tr[data-service="inventory"] td.rate')
    page.wait_for_function(
        "el => parseFloat(el.textContent) > 0", arg=rate.element_handle(), timeout=20_000
    )
    assert "1." in page.locator('#services tr[data-service="identity"] td.version').inner_text()

    # Register and log in through identity's forms: the login's token is kept.
    account = {"email": f"console-{secrets.token_hex(4)}@shop.test", "password": "correct horse"}
    page.goto(shop.console + "/#api/identity")
    registered = _try(page, "POST /v1/customers", account)
    assert registered.locator(".status").inner_text() == "201"
    logged_in = _try(page, "POST /v1/login", account)
    assert logged_in.locator(".status").inner_text() == "200"
    assert logged_in.locator(".token-taken").count() == 1
    assert page.locator("#token").input_value().count(".") == 2  # a JWT
    _shot(page, tmp_path, "login")

    # A refused order shows its problem details; a good one links to its trace.
    page.goto(shop.console + "/#api/orders")
    order = {"items": [{"sku": "SKU-APPLE", "quantity": 0}], "card_token": "tok_visa_4242"}
    refused = _try(page, "POST /v2/orders", order)
    assert refused.locator(".status").inner_text() == "422"
    assert "validation_failed" in refused.locator(".problem").inner_text()
    page.reload()
    order["items"][0]["quantity"] = 1
    placed = _try(page, "POST /v2/orders", order)
    assert placed.locator(".status").inner_text() == "201", placed.inner_text()
    assert '"status": "confirmed"' in placed.locator(".answer-body").inner_text()
    link = placed.locator("a.trace-link")
    trace_id = link.inner_text()
    assert re.fullmatch(r"[0-9a-f]{32}", trace_id)
    _shot(page, tmp_path, "try-it")

    link.click()
    waterfall = page.locator(f'#waterfall[data-trace="{trace_id}"]')
    waterfall.wait_for(timeout=30_000)
    for service in ("orders", "inventory", "payments"):
        page.locator(f'#waterfall .row[data-service="{service}"]').first.wait_for(timeout=30_000)
    assert "POST /v2/orders" in waterfall.inner_text()
    page.locator(f'#traces tr[data-trace="{trace_id}"]').wait_for(timeout=20_000)
    listed = page.locator("#traces tbody").inner_text()
    assert "GET /readyz" not in listed and "GET /metrics" not in listed
    _shot(page, tmp_path, "waterfall")

    # The map now has orders calling inventory and payments.
    page.goto(shop.console + "/#overview")
    for callee in ("inventory", "payments"):
        page.locator(f'#map g.edge[data-edge="orders->{callee}"]').wait_for(timeout=20_000)
    _shot(page, tmp_path, "overview")

    # A rollout's record, as the rollout writes it, is listed as in progress.
    from accord.rollout.state import RolloutState, write_state

    weights = {"working": 90, "r2": 10}
    record = RolloutState(service="orders", strategy="canary", stable="working", candidate="r2",
                          pid=os.getpid(), phase="canary", step=1, weights=weights)  # fmt: skip
    write_state(shop.home, record)
    # The operator's client-credentials token (the admin scope) through identity's form:
    # the configuration section then reads each service's running configuration.
    # Over mutual TLS the console's certificate (the supervisor's) is the operator's
    # credential: no secret (RFC 8705).
    page.goto(shop.console + "/#api/identity")
    grant = {"grant_type": "client_credentials", "client_id": "operator", "scope": "metadata:read"}
    assert _try(page, "POST /v1/token", grant).locator(".token-taken").count() == 1
    page.goto(shop.console + "/#flags")
    page.locator('#flags .env[data-env="dev"] tr[data-flag="pause-orders"]').wait_for()
    rollout = page.locator('#rollouts tr[data-rollout="orders"]')
    rollout.wait_for()
    assert "canary" in rollout.inner_text() and "r2 10%" in rollout.inner_text()
    configured = page.locator('#configuration tr[data-config="orders"]')
    configured.wait_for()
    assert "ok" in configured.inner_text() and "dev" in configured.inner_text()
    _shot(page, tmp_path, "flags")


def test_accord_up_prints_the_console_with_the_services(shop: Shop) -> None:
    printed = (shop.home / "up.log").read_text(errors="replace")
    assert "console" in printed and shop.console in printed, printed


def test_accord_console_serves_the_api_with_problem_details(shop: Shop, tmp_path: Path) -> None:
    port = free_port()
    env = {"ACCORD_HOME": str(shop.home), "ACCORD_CONFIG_DIR": str(shop.home / "config")}
    with running(["accord", "console", "--port", str(port)], env=env, log=tmp_path / "c.log"):
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/api/services", timeout=30)
        services = httpx.get(base + "/api/services", timeout=10).json()["services"]
        assert [s["name"] for s in services] == list(SERVICES)
        assert {s["health"] for s in services} == {"ready"}
        page = httpx.get(base + "/")
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert httpx.get(base + "/static/reference.js").status_code == 200
        unknown = httpx.get(base + "/api/traces/" + "ab" * 16)
        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/problem+json"
        assert unknown.json()["code"] == "console.unknown_trace"
        bad = httpx.post(
            base + "/api/try",
            json={"service": "inventory", "method": "GET", "path": "//elsewhere.test/"},
        )
        assert bad.status_code == 422 and bad.json()["code"] == "console.bad_request"
        nobody = httpx.post(base + "/api/try", json={"service": "x", "method": "GET", "path": "/"})
        assert nobody.status_code == 404 and nobody.json()["code"] == "console.unknown_service"
        elsewhere = httpx.post(
            base + "/api/try",
            json={"service": "inventory", "method": "GET", "path": "/v1/skus/SKU-APPLE"},
            headers={"origin": "http://evil.test"},
        )
        assert elsewhere.status_code == 403 and elsewhere.json()["code"] == "console.cross_origin"
        form = httpx.post(base + "/api/try", content=b"{}", headers={"content-type": "text/plain"})
        assert form.status_code == 415
        flags = httpx.get(base + "/api/flags").json()
        assert "dev" in {e["env"] for e in flags["environments"]}


def test_accord_console_on_a_taken_port_says_so_in_one_line() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "accord", "console", "--port", str(port)],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == f"accord: port {port} is in use (is a console already up?)"
