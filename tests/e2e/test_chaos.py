"""End to end: a short chaos run keeps every promise, audited from the services' data.

`accord chaos --json --duration 20` starts the shop (its own temporary state and free
ports), places orders with concurrent duplicates while inventory and payments are killed,
slowed and failed and orders is killed twice (its placements retried with their keys),
and prints the audit as one JSON object. Run on a project whose orders is the test build
with the key protection switched off, the same command finds the double charges.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT

pytestmark = pytest.mark.e2e


def _lines_naming(log: Path, names: list[str], most: int = 60) -> str:
    """The services' log lines that name any of ``names`` (the first ``most``)."""
    if not names or not log.exists():
        return ""
    found = [
        line
        for line in log.read_text(errors="replace").splitlines()
        if any(n in line for n in names)
    ]
    return "\n".join(found[:most])


def test_a_short_chaos_run_keeps_every_promise(tmp_path: Path) -> None:
    home = tmp_path / "run"
    run = ["chaos", "--json", "--duration", "20", "--seed", "3", "--home", str(home)]
    done = subprocess.run(
        [sys.executable, "-m", "accord", *run],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout + done.stderr
    report = json.loads(lines[0])
    # A broken promise shows what the run printed and, for charged orders not confirmed,
    # what the services logged about them.
    named = [entry.split(" ")[0] for entry in report.get("charged_unconfirmed", [])]
    assert done.returncode == 0, "\n".join(
        [done.stderr, json.dumps(report), _lines_naming(home / "services.log", named)]
    )

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
    assert report["orders_killed"] == 2
    assert report["keys_retried"] > 0
    assert report["keys_audited"] > 0
    assert report["double_charges_per_key"] == 0
    assert report["duplicate_orders_per_key"] == 0
    assert report["duplicate_reservations_per_key"] == 0
    assert report["duplicate_authorizations_per_key"] == 0
    assert report["retry_amplification"] <= 1.2
    assert report["retry_amplification_when_down"] <= 1.2
    # The kills happened and the supervisor brought every service back.
    assert report["restarts"] >= 4
    assert report["breaker_opened"] >= 1
    assert report["p99_ms_under_fault"] is not None


def test_the_chaos_run_finds_double_charges_when_the_protection_is_off(tmp_path: Path) -> None:
    # The shop, with orders served by its test build: it ignores the Idempotency-Key
    # (a re-run mints a new order) and dies after every third stock commit.
    project = (ROOT / "accord.toml").read_text(encoding="utf-8")
    built = project.replace(
        'app = "shop.orders.bootstrap:create_app"', 'app = "tests.support.orders_build:create_app"'
    )
    assert built != project
    (tmp_path / "accord.toml").write_text(built, encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ORDERS_UNPROTECTED": "1",
        "ORDERS_CRASH_AT": "committed",
        "ORDERS_CRASH_EVERY": "3",
        "ORDERS_IDEMPOTENCY_LEASE": "3",
    }
    done = subprocess.run(
        [sys.executable, "-m", "accord", "chaos", "--json", "--duration", "20", "--seed", "3"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout + done.stderr
    report = json.loads(lines[0])
    assert done.returncode == 1, report
    assert report["double_charges_per_key"] > 0
    assert report["duplicate_orders_per_key"] > 0
