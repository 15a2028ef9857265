"""Fault injection and load shedding in real ``accord serve`` processes of the shop.

Payments runs on a free loopback port with its own SQLite database (tokens off): the
faults and the limit come from the environment, as an operator would set them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.processes import ROOT, free_port, running, wait_for, wait_http

pytestmark = pytest.mark.e2e

TARGET = "shop.payments.bootstrap:create_app"


def _env(home: Path, **more: str) -> dict[str, str]:
    return {
        "ACCORD_HOME": str(home),
        "ACCORD_AUTH": "off",
        "OTEL_TRACES_EXPORTER": "none",
        "PYTHONUNBUFFERED": "1",
        **more,
    }


@contextmanager
def payments(home: Path, **env: str) -> Iterator[str]:
    port = free_port()
    args = ["accord", "serve", TARGET, "--port", str(port)]
    with running(args, env=_env(home, **env), log=home / "payments.log"):
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/readyz", timeout=60)
        yield base


def _authorize(base: str, *, key: str | None = None) -> httpx.Response:
    body = {
        "order_id": f"ord-{uuid.uuid4().hex[:12]}",
        "amount_cents": 1250,
        "card_token": "tok_visa",
    }
    return httpx.post(
        f"{base}/v1/authorizations",
        json=body,
        headers={"idempotency-key": key or str(uuid.uuid4())},
        timeout=10,
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "ACCORD_FAULTS",
            '{"abort": {"status": 503, "percent": 150}}',
            "$ACCORD_FAULTS: faults: invalid fault configuration: "
            "abort.percent must be within 0..100",
        ),
        ("PAYMENTS_FAULTS", "{oops", "$PAYMENTS_FAULTS: faults: not valid JSON"),
        ("ACCORD_MAX_IN_FLIGHT", "none", "$ACCORD_MAX_IN_FLIGHT: max_in_flight: Expected int"),
    ],
)
def test_a_bad_setting_stops_the_service_in_one_line(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "accord", "serve", TARGET, "--port", str(free_port())],
        env={**_env(tmp_path), variable: value, "PATH": "/usr/bin:/bin"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_an_injected_abort_answers_503_problems_with_retry_after(tmp_path: Path) -> None:
    faults = {"operations": {"authorize": {"abort": {"status": 503, "percent": 100}}}}
    with payments(tmp_path, PAYMENTS_FAULTS=json.dumps(faults)) as base:
        answer = _authorize(base)
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["retry-after"] == "1"
        assert answer.json()["code"] == "unavailable"
        listed = httpx.get(f"{base}/v1/authorizations", timeout=10)
        assert listed.status_code == 200  # other operations are left alone
        metrics = httpx.get(f"{base}/metrics", timeout=10).text
    assert (
        'accord_faults_injected_total{fault="abort",operation="payments.authorize"} 1.0' in metrics
    )


def test_an_injected_delay_past_the_deadline_is_a_504(tmp_path: Path) -> None:
    faults = {"delay": {"seconds": 2.0, "percent": 100}}
    with payments(tmp_path, ACCORD_FAULTS=json.dumps(faults)) as base:
        start = time.monotonic()
        answer = httpx.post(
            f"{base}/v1/authorizations",
            json={"order_id": "ord-late", "amount_cents": 100, "card_token": "tok_visa"},
            headers={"idempotency-key": "late-1", "accord-timeout": "300m"},
            timeout=10,
        )
        elapsed = time.monotonic() - start
        assert answer.status_code == 504
        assert answer.json()["code"] == "deadline_exceeded"
        assert elapsed < 1.9  # the 2 s delay was cut short by the 300 ms deadline
        malformed = httpx.post(
            f"{base}/v1/authorizations",
            json={"order_id": "ord-late", "amount_cents": 100, "card_token": "tok_visa"},
            headers={"idempotency-key": "late-2", "accord-timeout": "soon"},
            timeout=10,
        )
        assert malformed.status_code == 400
        assert malformed.json()["code"] == "bad_request"


def test_without_configuration_nothing_is_injected(tmp_path: Path) -> None:
    with payments(tmp_path) as base:
        answers = [_authorize(base).status_code for _ in range(20)]
        metrics = httpx.get(f"{base}/metrics", timeout=10).text
    assert answers == [201] * 20
    assert "accord_faults_injected_total{" not in metrics


def test_a_full_server_sheds_at_once(tmp_path: Path) -> None:
    faults = {"operations": {"authorize": {"delay": {"seconds": 1.5, "percent": 100}}}}
    with payments(tmp_path, PAYMENTS_FAULTS=json.dumps(faults), PAYMENTS_MAX_IN_FLIGHT="2") as base:
        slow: list[int] = []
        threads = [
            threading.Thread(target=lambda: slow.append(_authorize(base).status_code))
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        wait_for(lambda: _delays(base) == 2, what="both slow requests in flight")
        shed = httpx.get(f"{base}/v1/authorizations", timeout=10)
        in_flight_when_shed = 2 - len(slow)  # "at once": not queued behind the slow two
        for thread in threads:
            thread.join()
        assert httpx.get(f"{base}/readyz", timeout=10).status_code == 200
        metrics = httpx.get(f"{base}/metrics", timeout=10).text
    assert slow == [201, 201]
    assert shed.status_code == 503
    assert shed.headers["retry-after"] == "1"
    assert shed.json()["code"] == "unavailable"
    assert in_flight_when_shed == 2
    assert 'accord_server_shed_total{operation="payments.list_authorizations"} 1.0' in metrics


def _delays(base: str) -> float:
    """How many delays the payments service has injected so far, from its metrics."""
    for line in httpx.get(f"{base}/metrics", timeout=10).text.splitlines():
        if line.startswith("accord_faults_injected_total{") and 'fault="delay"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0
