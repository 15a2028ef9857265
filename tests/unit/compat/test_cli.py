"""``accord contracts diff``, run as a real process: output, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SPECS = Path(__file__).parent / "fixtures" / "specs"


def accord(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "accord", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def diff(*args: str) -> subprocess.CompletedProcess[str]:
    return accord("contracts", "diff", *args)


def test_breaking_changes_exit_1_and_are_listed_by_operation() -> None:
    done = diff(str(SPECS / "orders.base.json"), str(SPECS / "orders.revision.json"))
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "GET /orders/{orderId}"
    assert (
        "  breaking required-request-parameter-added  header parameter Idempotency-Key: "
        in done.stdout
    )
    assert lines[-1] == "2 breaking, 4 warning, 0 info"


def test_only_warnings_exit_0_unless_fail_on_warning() -> None:
    # the reverse direction: the parameter and idempotency changes are no longer breaking
    args = [str(SPECS / "orders.revision.json"), str(SPECS / "orders.base.json")]
    assert diff(*args).returncode == 0
    done = diff(*args, "--fail-on", "warning")
    assert done.returncode == 1
    assert "request-parameter-removed" in done.stdout


def test_identical_documents_exit_0() -> None:
    done = diff(str(SPECS / "tree.yaml"), str(SPECS / "tree.yaml"))
    assert (done.returncode, done.stdout) == (0, "no changes\n")


def test_json_format() -> None:
    done = diff(
        str(SPECS / "orders.base.json"), str(SPECS / "orders.revision.json"), "--format", "json"
    )
    data = json.loads(done.stdout)
    assert [c["id"] for c in data if c["level"] == "breaking"] == [
        "required-request-parameter-added",
        "accord-idempotency-weakened",
    ]


def test_markdown_format() -> None:
    done = diff(
        str(SPECS / "petstore.base.yaml"),
        str(SPECS / "petstore.revision.yaml"),
        "--format",
        "markdown",
    )
    assert done.returncode == 1
    assert done.stdout.startswith(
        "### petstore.base.yaml → petstore.revision.yaml\n\n**6 breaking, 4 warning, 11 info**"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("openapi: 3.1.0\npaths: {a: [\n", "not valid YAML or JSON"),
        ('{"swagger": "2.0"}', "not an OpenAPI 3.0 or 3.1 document"),
        ("openapi: 3.1.0\npaths: {/a: {$ref: '#/nope'}}\n", "unresolved $ref #/nope"),
    ],
)
def test_unreadable_input_exits_2_with_one_line(tmp_path: Path, text: str, message: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    for args in ((str(bad), str(SPECS / "tree.yaml")), (str(SPECS / "tree.yaml"), str(bad))):
        done = diff(*args)
        assert done.returncode == 2, done
        assert "Traceback" not in done.stderr
        (line,) = done.stderr.splitlines()
        assert line.startswith("accord: ") and message in line


def test_a_missing_file_exits_2() -> None:
    done = diff("/nonexistent/a.yaml", str(SPECS / "tree.yaml"))
    assert done.returncode == 2
    assert done.stderr.startswith("accord: cannot read /nonexistent/a.yaml")
