"""``accord flags`` as a user runs it: a real process over a copy of the shop's files.

Every refusal is one line on stderr and exit 1, with the file left byte for byte.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.processes import ROOT


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project of its own: accord.toml naming a flag module, and the shop's flag files."""
    shutil.copytree(ROOT / "config", tmp_path / "config", ignore=shutil.ignore_patterns("*.toml"))
    (tmp_path / "accord.toml").write_text('[project]\nflags = ["declared:FLAGS"]\n')
    declare(tmp_path, "2030-01-01")
    return tmp_path


def declare(folder: Path, expires: str, extra: str = "") -> None:
    (folder / "declared.py").write_text(
        textwrap.dedent(f"""
        from datetime import date
        from accord.flags import Flag
        FLAGS = [
            Flag.boolean(k, default=False, description="d", owner="team",
                         expires=date.fromisoformat("{expires}"))
            for k in ("pause-orders", "strict-card-tokens")
        ]
        {extra}
        """)
    )


def accord(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env["PYTHONPATH"] = f"{folder}{os.pathsep}{ROOT}"
    return subprocess.run(
        [sys.executable, "-m", "accord", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def flag(folder: Path, env: str, key: str) -> dict[str, object]:
    document = json.loads((folder / "config" / env / "flags.json").read_text())
    value: dict[str, object] = document["flags"][key]
    return value


def test_list_shows_each_flag_and_its_rollout(project: Path) -> None:
    result = accord(project, "flags", "list", "--env", "dev")
    assert result.returncode == 0, result.stderr
    assert "pause-orders" in result.stdout and "everyone: off" in result.stdout
    assert "fractional: on 50%, off 50%" in result.stdout


def test_set_flips_a_flag_for_everyone(project: Path) -> None:
    result = accord(project, "flags", "set", "pause-orders", "on", "--env", "dev")
    assert result.returncode == 0, result.stderr
    assert flag(project, "dev", "pause-orders")["defaultVariant"] == "on"
    assert flag(project, "prod", "pause-orders")["defaultVariant"] == "off", "one env only"


def test_rollout_writes_a_fractional_split(project: Path) -> None:
    result = accord(project, "flags", "rollout", "strict-card-tokens", "25%", "--env", "prod")
    assert result.returncode == 0, result.stderr
    assert flag(project, "prod", "strict-card-tokens")["targeting"] == {
        "fractional": [["on", 25], ["off", 75]]
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("set", "pause-orders", "maybe", "--env", "dev"), "has no variant 'maybe'"),
        (("set", "no-such-flag", "on", "--env", "dev"), "no flag 'no-such-flag'"),
        (("set", "pause-orders", "on", "--env", "qa"), "unknown environment 'qa'"),
        (("rollout", "pause-orders", "150", "--env", "dev"), "from 0 to 100, not '150'"),
        (("rollout", "pause-orders", "half", "--env", "dev"), "not 'half'"),
        (("list", "--env", "nowhere"), "unknown environment 'nowhere'"),
    ],
)
def test_bad_input_is_one_line_and_nothing_written(
    project: Path, args: tuple[str, ...], message: str
) -> None:
    before = {p: p.read_bytes() for p in project.glob("config/*/flags.json")}
    result = accord(project, "flags", *args)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr
    assert {p: p.read_bytes() for p in project.glob("config/*/flags.json")} == before


def test_an_edit_of_an_invalid_file_is_refused(project: Path) -> None:
    path = project / "config" / "dev" / "flags.json"
    path.write_text('{"flags": {"pause-orders": {"state": "ON"}}}')
    result = accord(project, "flags", "set", "pause-orders", "on", "--env", "dev")
    assert result.returncode == 1
    assert "$.flags.pause-orders" in result.stderr and result.stderr.count("\n") == 1
    assert path.read_text() == '{"flags": {"pause-orders": {"state": "ON"}}}'


def test_check_passes_on_the_shop_files(project: Path) -> None:
    result = accord(project, "flags", "check")
    assert result.returncode == 0, result.stderr
    assert "ok: 2 declared flag(s)" in result.stdout


def test_check_fails_on_a_missing_flag(project: Path) -> None:
    declare(
        project,
        "2030-01-01",
        "FLAGS.append(Flag.integer('batch', default=1, "
        "description='d', owner='team', expires=date(2030, 1, 1)))",
    )
    result = accord(project, "flags", "check", "--env", "staging")
    assert result.returncode == 1
    assert "staging/flags.json: error: declared flag 'batch' is missing" in result.stderr


def test_check_fails_on_another_type(project: Path) -> None:
    declare(
        project,
        "2030-01-01",
        "FLAGS[0] = Flag.string('pause-orders', default='x', "
        "description='d', owner='team', expires=date(2030, 1, 1))",
    )
    result = accord(project, "flags", "check")
    assert result.returncode == 1
    assert "flag 'pause-orders' is declared string but variant(s) on, off are not" in (
        result.stderr
    )


def test_check_fails_on_an_expired_flag(project: Path) -> None:
    declare(project, "2020-01-01")
    result = accord(project, "flags", "check")
    assert result.returncode == 1
    assert "pause-orders: error: expired on 2020-01-01 and still declared" in result.stderr


def test_check_warns_about_an_undeclared_flag(project: Path) -> None:
    declare(project, "2030-01-01", "FLAGS.pop()")
    result = accord(project, "flags", "check")
    assert result.returncode == 0, result.stderr
    assert "warning: flag 'strict-card-tokens' is declared by no code" in result.stdout
