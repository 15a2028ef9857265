"""Flags in a served shop: the files edited while orders runs, as an operator edits them.

inventory, payments and orders run as ``accord serve`` processes on free loopback ports
(tokens off: the customer is the body's), orders reading its flags from a copy of
``config/<env>/flags.json``. Flipping ``pause-orders`` makes placing answer 503
``orders.paused`` within 2 s, in the same process, and flipping it back makes it 201
again; a bad flags file never turns into a 5xx.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.support.processes import ROOT, free_port, running, wait_http

pytestmark = pytest.mark.e2e

#: How long an edit may take to show (the issue's promise).
FLIP_WITHIN = 2.0


class Shop:
    def __init__(self, orders: str, process: subprocess.Popen[bytes], home: Path) -> None:
        self.orders = orders
        self.process = process
        self.home = home
        self.flags = home / "config" / "dev" / "flags.json"

    def place(self, customer: str, card_token: str = "tok_visa") -> httpx.Response:
        body = {
            "customer_id": customer,
            "items": [{"sku": "SKU-APPLE", "quantity": 1}],
            "card_token": card_token,
        }
        headers = {"idempotency-key": uuid.uuid4().hex}
        return httpx.post(f"{self.orders}/v2/orders", json=body, headers=headers, timeout=30)

    def edit(self, key: str, **changes: object) -> None:
        document = json.loads(self.flags.read_text())
        document["flags"][key].update(changes)
        temporary = self.flags.with_suffix(".tmp")
        temporary.write_text(json.dumps(document))
        temporary.replace(self.flags)

    def log(self) -> str:
        return (self.home / "orders.log").read_text(errors="replace")


def _serve(
    stack: ExitStack, home: Path, service: str, env: dict[str, str]
) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    full = {
        "ACCORD_HOME": str(home),
        "ACCORD_AUTH": "off",
        "ACCORD_CONFIG_DIR": str(home / "config"),
        "ACCORD_ENV": "dev",
        **env,
    }
    args = ["accord", "serve", f"shop.{service}.bootstrap:create_app", "--port", str(port)]
    proc = stack.enter_context(running(args, env=full, log=home / f"{service}.log"))
    base = f"http://127.0.0.1:{port}"
    wait_http(f"{base}/readyz", timeout=60)
    return base, proc


def _shop(tmp_path: Path, prepare: Callable[[Path], None]) -> Iterator[Shop]:
    (tmp_path / "config" / "dev").mkdir(parents=True)
    shutil.copy(ROOT / "config" / "dev" / "flags.json", tmp_path / "config" / "dev")
    prepare(tmp_path / "config" / "dev" / "flags.json")
    with ExitStack() as stack:
        inventory, _ = _serve(stack, tmp_path, "inventory", {"OTEL_TRACES_EXPORTER": "none"})
        payments, _ = _serve(stack, tmp_path, "payments", {"OTEL_TRACES_EXPORTER": "none"})
        orders, proc = _serve(
            stack,
            tmp_path,
            "orders",
            {
                "ACCORD_URL_INVENTORY": inventory,
                "ACCORD_URL_PAYMENTS": payments,
                "OTEL_TRACES_SAMPLER": "always_on",
            },
        )
        yield Shop(orders, proc, tmp_path)


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    yield from _shop(tmp_path, lambda _: None)


def _until(shop: Shop, status: int, customer: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    while True:
        answer = shop.place(customer)
        elapsed = time.monotonic() - started
        if answer.status_code == status or elapsed > 3 * FLIP_WITHIN:
            return answer, elapsed
        time.sleep(0.05)


def test_pause_orders_flips_without_a_restart(shop: Shop) -> None:
    pid = shop.process.pid
    placed = shop.place("cus_before")
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]

    shop.edit("pause-orders", defaultVariant="on")
    paused, elapsed = _until(shop, 503, "cus_paused")
    assert paused.status_code == 503, paused.text
    assert elapsed < FLIP_WITHIN
    assert paused.headers["content-type"].startswith("application/problem+json")
    assert paused.json()["code"] == "orders.paused"
    assert paused.headers["retry-after"] == "30"
    v1 = httpx.post(
        f"{shop.orders}/v1/orders",
        json={
            "customer_id": "c1",
            "items": [{"sku": "SKU-APPLE", "quantity": 1}],
            "card_token": "tok_visa",
        },
        headers={"idempotency-key": uuid.uuid4().hex},
        timeout=30,
    )
    assert (v1.status_code, v1.json()["code"]) == (503, "orders.paused")
    read = httpx.get(f"{shop.orders}/v2/orders/{order_id}", timeout=10)
    assert read.status_code == 200, "reading goes on while placing is paused"

    shop.edit("pause-orders", defaultVariant="off")
    placed_again, elapsed = _until(shop, 201, "cus_after")
    assert placed_again.status_code == 201, placed_again.text
    assert elapsed < FLIP_WITHIN
    assert shop.process.poll() is None and shop.process.pid == pid


def test_a_broken_edit_is_refused_and_the_shop_keeps_serving(shop: Shop) -> None:
    shop.edit("pause-orders", defaultVariant="on")
    assert _until(shop, 503, "cus_1")[0].status_code == 503
    shop.flags.write_text('{"flags": {"pause-orders": {"state": "ENABLED", "varia')
    time.sleep(1.0)
    answer = shop.place("cus_2")
    assert answer.status_code == 503 and answer.json()["code"] == "orders.paused"
    refusals = [
        line for line in shop.log().splitlines() if "flags.json" in line and "last good" in line
    ]
    assert len(refusals) == 1, refusals


def test_strict_card_tokens_both_paths(shop: Shop) -> None:
    shop.edit("strict-card-tokens", targeting={"fractional": [["on", 100], ["off", 0]]})
    deadline = time.monotonic() + 3 * FLIP_WITHIN
    while (refused := shop.place("cus_strict", "card-4242")).status_code != 422:
        assert time.monotonic() < deadline, refused.text
        time.sleep(0.05)
    assert refused.json()["code"] == "validation_failed"
    assert "$.card_token" in refused.json()["detail"]
    assert shop.place("cus_strict", "tok_visa").status_code == 201, "a vault token passes"

    shop.edit("strict-card-tokens", targeting={"fractional": [["on", 0], ["off", 100]]})
    deadline = time.monotonic() + 3 * FLIP_WITHIN
    while (placed := shop.place("cus_strict", "card-4242")).status_code != 201:
        assert time.monotonic() < deadline, placed.text
        time.sleep(0.05)


def test_evaluations_show_on_spans_and_in_metrics(shop: Shop) -> None:
    assert shop.place("cus_seen").status_code == 201
    metrics = httpx.get(f"{shop.orders}/metrics", timeout=10).text
    assert 'accord_feature_flag_evaluations_total{flag="pause-orders",variant="off"}' in metrics
    assert 'accord_feature_flag_evaluations_total{flag="strict-card-tokens",variant=' in metrics
    spans = shop.home / "telemetry" / "orders.jsonl"
    deadline = time.monotonic() + 15
    while "feature_flag.evaluation" not in (spans.read_text() if spans.exists() else ""):
        assert time.monotonic() < deadline, "no feature_flag.evaluation event exported"
        time.sleep(0.2)
    text = spans.read_text()
    for key in ("feature_flag.key", "feature_flag.result.variant", "feature_flag.provider.name"):
        assert key in text


@pytest.mark.parametrize(
    "prepare",
    [
        pytest.param(lambda p: p.write_text("{ not json"), id="invalid-json"),
        pytest.param(
            lambda p: p.write_text('{"flags": {"x": {"state": "ON"}}}'), id="against-schema"
        ),
        pytest.param(lambda p: p.unlink(), id="missing"),
    ],
)
def test_a_bad_flags_file_at_start_means_defaults_never_a_5xx(
    tmp_path: Path, prepare: Callable[[Path], None]
) -> None:
    for shop in _shop(tmp_path, prepare):
        answers = [shop.place(f"cus_{i}", "card-4242") for i in range(5)]
        assert [a.status_code for a in answers] == [201] * 5, answers[0].text
        time.sleep(1.0)
        lines = [line for line in shop.log().splitlines() if "flags.json" in line]
        assert len(lines) == 1, lines
        assert "every flag takes its default" in lines[0]
