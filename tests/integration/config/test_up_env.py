"""``accord up --env E``: an environment is checked whole before any service starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.processes import ROOT


def up(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env.update({"ACCORD_HOME": str(tmp_path / "home"), **extra})
    return subprocess.run(
        [sys.executable, "-m", "accord", "up", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_unknown_environment_is_refused_in_one_line(tmp_path: Path) -> None:
    result = up(tmp_path, "--env", "qa")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"accord: {ROOT}/config: unknown environment 'qa' (known: dev, prod, staging)"
    ]
    assert not (tmp_path / "home").exists()  # nothing was started


def test_prod_refuses_to_run_plain_naming_the_key_and_why(tmp_path: Path) -> None:
    result = up(tmp_path, "--env", "prod", "--plain")
    assert result.returncode == 1
    refused = [line for line in result.stderr.splitlines() if line.startswith("accord: refused:")]
    assert len(refused) == 4  # one line per service
    assert refused[-1] == (
        "accord: refused: orders: tls.dir = '' (from default): prod must be set: "
        "traffic between services is mutual TLS (run accord up --env prod without --plain)"
    )


def test_prod_refuses_to_run_with_authentication_off(tmp_path: Path) -> None:
    result = up(tmp_path, "--env", "prod", ACCORD_AUTH="off")  # TLS: the default
    assert result.returncode == 1
    refused = [line for line in result.stderr.splitlines() if line.startswith("accord: refused:")]
    assert (
        "accord: refused: payments: auth.enabled = False (from env ACCORD_AUTH): "
        "prod must be True: production checks every caller's token"
    ) in refused
    assert not any("tls.dir" in line for line in refused)
