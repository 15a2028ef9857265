"""``accord deps audit`` (and ``make audit``) over the project's real lock file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from accord.advisories import read_lock
from tests.support.processes import ROOT, free_port

LOCK = ROOT / "requirements-dev.lock"


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "accord", "deps", "audit", "--lock", str(LOCK), *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _advisory(folder: Path, ident: str, package: str, events: list[dict[str, str]]) -> None:
    (folder / package).mkdir(parents=True, exist_ok=True)
    (folder / package / f"{ident}.yaml").write_text(
        json.dumps(  # JSON is YAML: the database's own format, written simply
            {
                "id": ident,
                "summary": f"a test advisory for {package}",
                "affected": [
                    {
                        "package": {"ecosystem": "PyPI", "name": package},
                        "ranges": [{"type": "ECOSYSTEM", "events": events}],
                    }
                ],
            }
        )
    )


def _osv_dir(tmp_path: Path) -> tuple[Path, str, str]:
    """One locked pin affected at its version, another fixed before its version."""
    pins = {pin.name: pin.version for pin in read_lock(LOCK)}
    vulnerable, safe = "msgspec", "httpx"
    folder = tmp_path / "advisory-database" / "vulns"
    _advisory(folder, "PYSEC-TEST-1", vulnerable, [{"introduced": "0"}, {"fixed": "999.0"}])
    _advisory(folder, "PYSEC-TEST-2", safe, [{"introduced": "0"}, {"last_affected": "0.0.1"}])
    assert pins[safe] != "0.0.1"
    return folder.parent, vulnerable, pins[vulnerable]


def test_a_vulnerable_pin_is_flagged_and_a_fixed_one_is_not(tmp_path: Path) -> None:
    folder, vulnerable, version = _osv_dir(tmp_path)
    done = _run("--osv-dir", str(folder))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "PYSEC-TEST-1" in done.stdout and vulnerable in done.stdout
    assert "PYSEC-TEST-2" not in done.stdout
    assert ": 1 vulnerable" in done.stdout
    as_json = json.loads(_run("--osv-dir", str(folder), "--json").stdout)
    assert as_json["vulnerable"] == [
        {
            "package": vulnerable,
            "version": version,
            "advisory": "PYSEC-TEST-1",
            "aliases": [],
            "fixed_in": ["999.0"],
        }
    ]


def test_no_known_vulnerability_passes(tmp_path: Path) -> None:
    folder = tmp_path / "osv"
    _advisory(folder, "PYSEC-TEST-3", "msgspec", [{"introduced": "0"}, {"fixed": "0.0.1"}])
    done = _run("--osv-dir", str(folder))
    assert done.returncode == 0, done.stdout + done.stderr
    assert ": 0 vulnerable" in done.stdout


def test_nothing_to_check_against_is_exit_2_never_a_pass(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/pypi/{{name}}/{{version}}/json"
    done = _run(ACCORD_ADVISORY_PROBES=closed)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1
    assert "no advisory service is reachable" in done.stderr
    assert "nothing was checked" in done.stderr
    empty = _run("--osv-dir", str(tmp_path))
    assert empty.returncode == 2
    assert "holds no OSV advisory" in empty.stderr and "Traceback" not in empty.stderr


def test_make_audit_takes_an_osv_folder(tmp_path: Path) -> None:
    folder, vulnerable, _ = _osv_dir(tmp_path)
    done = subprocess.run(
        ["make", "--no-print-directory", "audit", f"OSV_DIR={folder}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode != 0
    assert "PYSEC-TEST-1" in done.stdout and vulnerable in done.stdout
