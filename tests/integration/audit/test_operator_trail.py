"""Commands run by hand leave operator records: ``accord keys``, ``certs`` and ``flags``
as real processes, in a project of their own, then ``accord audit verify`` and ``tail``."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from accord.audit import AuditFile
from accord.security.keys import KeyStore
from tests.support.processes import ROOT, stop, wait_for


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "config", tmp_path / "config", ignore=shutil.ignore_patterns("*.toml"))
    (tmp_path / "accord.toml").write_text(
        '[project]\nhome = "state"\n\n[services.alpha]\napp = "alpha:create_app"\nport = 9\n'
    )
    return tmp_path


def accord(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    return subprocess.run(
        [sys.executable, "-m", "accord", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def ok(folder: Path, *args: str) -> str:
    done = accord(folder, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def records(folder: Path) -> list[dict[str, Any]]:
    path = folder / "state" / "audit" / "operator.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_keys_certs_and_flags_changes_are_recorded(project: Path) -> None:
    home = project / "state"
    ring = KeyStore.under(home, "identity").ensure(token_lifetime=60)
    ok(project, "keys", "rotate", "--min-age", "0")
    after = KeyStore.under(home, "identity").load()
    ok(project, "keys", "revoke", after.next.kid)
    ok(project, "certs", "init")
    ok(project, "certs", "issue", "alpha")
    ok(project, "certs", "rotate", "alpha")
    flags = project / "config" / "dev" / "flags.json"
    before = sha(flags)
    ok(project, "flags", "set", "pause-orders", "on", "--env", "dev")
    middle = sha(flags)
    ok(project, "flags", "rollout", "strict-card-tokens", "25", "--env", "dev")
    refused = accord(project, "flags", "set", "no-such-flag", "on", "--env", "dev")
    assert refused.returncode == 1

    trail = records(project)
    assert [(r["action"], r["target"], r["outcome"]) for r in trail] == [
        ("keys.rotate", "signing-keys", "success"),
        ("keys.revoke", after.next.kid, "success"),
        ("certs.issue", "alpha", "success"),
        ("certs.rotate", "alpha", "success"),
        ("flags.set", "pause-orders", "success"),
        ("flags.rollout", "strict-card-tokens", "success"),
    ]
    assert {r["actor"] for r in trail} == {f"operator:{getpass.getuser()}"}
    assert trail[0]["details"]["retired"] == ring.current.kid
    assert trail[0]["details"]["current"] == ring.next.kid
    assert trail[3]["details"]["spiffe_id"].endswith("/alpha")
    assert trail[2]["details"]["serial"] != trail[3]["details"]["serial"]
    assert trail[4]["details"]["old_sha256"] == before
    assert trail[4]["details"]["new_sha256"] == middle
    assert (
        trail[5]["details"] | {"old_sha256": middle, "new_sha256": sha(flags)}
        == trail[5]["details"]
    )
    assert trail[5]["details"]["percent"] == 25
    for record in trail:  # no private key material in any record
        assert "PRIVATE KEY" not in json.dumps(record)

    verified = ok(project, "audit", "verify")
    assert "operator.jsonl: 6 record(s), chain intact" in verified
    tail = ok(project, "audit", "tail", "-n", "2")
    assert [line.split()[3] for line in tail.splitlines()] == ["flags.set", "flags.rollout"]
    as_json = ok(project, "audit", "tail", "-n", "1", "--json")
    assert json.loads(as_json)["action"] == "flags.rollout"


def test_verify_names_a_removed_record_and_tail_needs_a_project(project: Path) -> None:
    KeyStore.under(project / "state", "identity").ensure(token_lifetime=60)
    for _ in range(3):
        ok(project, "keys", "rotate", "--min-age", "0")
    path = project / "state" / "audit" / "operator.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0] + lines[2])
    done = accord(project, "audit", "verify")
    assert done.returncode == 1
    assert f"{path}:2: seq is 3, expected 2" in done.stdout
    elsewhere = accord(project.parent, "audit", "verify")
    assert elsewhere.returncode != 0 and "Traceback" not in elsewhere.stderr
    missing = accord(project, "audit", "verify", "nope.jsonl")
    assert missing.returncode == 2 and "no such audit file" in missing.stderr


def test_tail_follow_prints_records_as_they_are_written(project: Path) -> None:
    path = project / "state" / "audit" / "svc.jsonl"
    first = {"time": "t1", "actor": "a", "action": "x.first", "target": "t", "outcome": "success"}
    AuditFile(path).append({**first, "details": {}})
    out = project / "tail.out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "accord", "audit", "tail", "--follow", "--json"],
            cwd=project,
            env=env,
            stdout=sink,
        )
        try:
            wait_for(lambda: "x.first" in out.read_text(), what="the existing record")
            AuditFile(path).append({**first, "action": "x.second", "details": {}})
            wait_for(lambda: "x.second" in out.read_text(), what="the new record")
        finally:
            stop(proc)
    actions = [json.loads(line)["action"] for line in out.read_text().splitlines()]
    assert actions == ["x.first", "x.second"]
