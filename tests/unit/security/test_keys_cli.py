"""``accord keys show|jwks|rotate``, run as real processes against a key file on disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accord.security.keys import KeyStore

ROOT = Path(__file__).resolve().parents[3]


def accord(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ACCORD_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "accord", "keys", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "accord.toml").write_text('[project]\nhome = "state"\n', encoding="utf-8")
    past = time.time() - 60
    KeyStore.under(tmp_path / "state", "identity", clock=lambda: past).ensure(token_lifetime=900)
    return tmp_path / "state"


def test_rotate_then_show_and_jwks(home: Path) -> None:
    before = KeyStore.under(home, "identity").load()
    done = accord(home.parent, "rotate")
    assert done.returncode == 0, done.stderr
    assert f"current {before.next.kid} (was next)" in done.stdout
    after = KeyStore.under(home, "identity").load()
    assert after.current.kid == before.next.kid
    shown = accord(home.parent, "show").stdout
    assert f"retired  {before.current.kid}" in shown and f"current  {after.current.kid}" in shown
    jwks = json.loads(accord(home.parent, "jwks", "--home", str(home)).stdout)
    assert {k["kid"] for k in jwks["keys"]} == {k.kid for k in after.keys}
    assert all("d" not in k for k in jwks["keys"])


def test_a_second_rotation_at_once_is_refused_in_one_line(home: Path) -> None:
    assert accord(home.parent, "rotate").returncode == 0
    again = accord(home.parent, "rotate")
    assert again.returncode == 2
    assert again.stderr.startswith("accord: ") and "wait 15s" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1 and "Traceback" not in again.stderr
    assert accord(home.parent, "rotate", "--min-age", "0").returncode == 0


def test_no_key_file_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    done = accord(tmp_path, "show", "--home", str(tmp_path / "nowhere"))
    assert done.returncode == 2
    assert "no signing keys" in done.stderr and "Traceback" not in done.stderr


def test_revoke_a_key_then_an_unknown_one(home: Path) -> None:
    before = KeyStore.under(home, "identity").load()
    done = accord(home.parent, "revoke", before.current.kid)
    assert done.returncode == 0, done.stderr
    assert f"revoked {before.current.kid}" in done.stdout
    assert f"current {before.next.kid} (was next)" in done.stdout
    assert before.current.kid not in {k.kid for k in KeyStore.under(home, "identity").load().keys}
    missing = accord(home.parent, "revoke", "nope")
    assert missing.returncode == 2 and "no key 'nope'" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_client_makes_a_key_pair_once_and_refuses_a_bad_name(home: Path) -> None:
    made = accord(home.parent, "client", "orders")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("made orders:")
    key = home / "client-keys" / "orders.key"
    first = key.read_bytes()
    assert key.stat().st_mode & 0o077 == 0
    public = json.loads((home / "client-keys" / "orders.jwks.json").read_text())
    assert [k["alg"] for k in public["keys"]] == ["EdDSA"] and "d" not in public["keys"][0]
    kept = accord(home.parent, "client", "orders")
    assert kept.stdout.startswith("kept orders:") and key.read_bytes() == first
    bad = accord(home.parent, "client", "../escape")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert not (home / "escape.key").exists()
