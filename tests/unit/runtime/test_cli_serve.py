"""``accord serve``: mistakes end in one line on stderr and exit status 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT


def serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "ACCORD_PORT"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "accord", "serve", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=full_env,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (["no_such_module_xyz:factory", "--port", "1"], None, "cannot import"),
        (["tests.unit.runtime.sample", "--port", "1"], None, "module:attribute"),
        (["tests.unit.runtime.sample:nothing", "--port", "1"], None, "no attribute"),
        (["tests.unit.runtime.sample:SECRET", "--port", "1"], None, "not callable"),
        (["tests.unit.runtime.sample:SampleService", "--port", "1"], None, "not an accord App"),
        (["tests.unit.runtime.sample:Sample"], None, "no port"),
        (["tests.unit.runtime.sample:Sample"], {"ACCORD_PORT": "http"}, "not a number"),
        (
            ["tests.unit.runtime.sample:Sample", "--port", "1", "--head-timeout", "0"],
            None,
            "--head-timeout must be positive",
        ),
        (
            ["tests.unit.runtime.sample:Sample", "--port", "1"],
            {"ACCORD_FORWARDED_ALLOW_IPS": "127.0.0.1, proxy.local"},
            "'proxy.local' is not an IP address or network",
        ),
    ],
)
def test_mistakes_end_in_one_line_and_exit_2(
    args: list[str], env: dict[str, str] | None, needle: str
) -> None:
    done = serve(*args, env=env)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("accord: ")
    assert needle in lines[0]
    assert "Traceback" not in done.stderr


def test_a_factory_that_raises_is_reported_in_one_line() -> None:
    done = serve("tests.unit.runtime.sample:GetOrder", "--port", "1")
    assert done.returncode == 2
    assert "GetOrder() failed: TypeError" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_module_that_does_not_compile_is_reported_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "broken_app.py").write_text("def create_app(:\n    pass\n")
    result = subprocess.run(
        [sys.executable, "-m", "accord", "serve", "broken_app:create_app", "--port", "1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("accord: cannot import broken_app:create_app: SyntaxError: ")
    assert "broken_app.py, line 1)" in line
