"""End to end: a short chaos run keeps every promise, audited from the services' data.

`accord chaos --json --duration 20` starts the shop (its own temporary state and free
ports), places orders with concurrent duplicates while inventory and payments are killed,
slowed and failed, and prints the audit as one JSON object.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.processes import ROOT

pytestmark = pytest.mark.e2e


def test_a_short_chaos_run_keeps_every_promise() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "accord", "chaos", "--json", "--duration", "20", "--seed", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout + done.stderr
    report = json.loads(lines[0])
    assert done.returncode == 0, report

    assert report["orders_attempted"] > 50
    assert report["orders_acknowledged"] > 0
    assert report["orders_lost"] == 0
    assert report["double_charges"] == 0
    assert report["stock_conserved"] is True
    assert report["orphan_reservations"] == 0
    assert report["orphan_authorizations"] == 0
    assert report["charged_rejected"] == 0
    assert report["unrecorded_charges"] == 0
    assert report["duplicate_orders"] == 0
    assert report["retry_amplification"] <= 1.2
    assert report["retry_amplification_when_down"] <= 1.2
    # The kills happened and the supervisor brought every service back.
    assert report["restarts"] >= 4
    assert report["breaker_opened"] >= 1
    assert report["p99_ms_under_fault"] is not None
