"""``accord keys status`` and ``accord certs status``, run as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from accord.security.keys import KeyStore
from accord.security.tls import ensure_certificates

ROOT = Path(__file__).resolve().parents[3]


def accord(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", **env}
    environ.pop("ACCORD_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "accord", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_keys_status_says_what_signs_and_when_the_next_rotation_is_due(tmp_path: Path) -> None:
    created = time.time() - 100
    store = KeyStore.under(tmp_path, "identity", clock=lambda: created)
    ring = store.ensure(token_lifetime=900)
    out = accord(tmp_path, "keys", "status", "--home", str(tmp_path), "--json",
                 ACCORD_KEY_ROTATION_PERIOD="3600")  # fmt: skip
    assert out.returncode == 0, out.stderr
    status = json.loads(out.stdout)
    assert (status["current"], status["next"]) == (ring.current.kid, ring.next.kid)
    due = datetime.fromisoformat(status["next_rotation"]).timestamp()
    assert abs(due - (created + 3600)) < 1
    assert {i["state"] for i in status["items"]} == {"current", "next"}

    table = accord(tmp_path, "keys", "status", "--home", str(tmp_path))
    assert table.returncode == 0, table.stderr
    assert ring.current.kid in table.stdout and "next rotation" in table.stdout


def test_certs_status_lists_expiry_and_renewal(tmp_path: Path) -> None:
    folder = tmp_path / "certs"
    ensure_certificates(folder, ["orders"], trust_domain="shop.local", lifetime=timedelta(hours=3))
    out = accord(tmp_path, "certs", "status", "--dir", str(folder), "--json")
    assert out.returncode == 0, out.stderr
    items = {i["name"]: i for i in json.loads(out.stdout)["items"]}
    assert set(items) == {"ca", "orders"}
    orders = items["orders"]
    assert orders["spiffe_id"] == "spiffe://shop.local/orders" and not orders["expired"]
    end = datetime.fromisoformat(orders["not_after"])
    renew = datetime.fromisoformat(orders["renewal_due"])
    assert timedelta(minutes=59) < end - renew < timedelta(hours=1, minutes=2)
    assert items["ca"]["renewal_due"] is None
    assert end > datetime.now(UTC)
    table = accord(tmp_path, "certs", "status", "--dir", str(folder))
    assert table.returncode == 0 and "spiffe://shop.local/orders" in table.stdout


def test_a_missing_home_is_one_line_and_exit_1(tmp_path: Path) -> None:
    for args in (
        ("keys", "status", "--home", str(tmp_path / "nowhere")),
        ("certs", "status", "--dir", str(tmp_path / "nowhere")),
        ("keys", "status"),  # no accord.toml here, no --home
        ("certs", "status"),
    ):
        out = accord(tmp_path, *args)
        assert out.returncode == 1, (args, out.stderr)
        assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
