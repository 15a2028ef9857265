"""The gate's rows: what each exit status means, and which rows let a release through."""

from __future__ import annotations

import sys
from pathlib import Path

from accord.release.gate import Check, Row, Status, gate_passed, run_gate
from accord.release.gate_checks import default_ref
from tests.support.repos import commit_empty, git


def _exits(code: int, say: str = "") -> tuple[str, ...]:
    return (sys.executable, "-c", f"print({say!r}); raise SystemExit({code})")


def test_each_row_says_what_its_exit_status_means(tmp_path: Path) -> None:
    unreachable = {2: (Status.NOT_CHECKED, "not checked: unreachable")}
    checks = [
        Check("good", "a good check", _exits(0)),
        Check("bad", "a bad check", _exits(1, "3 problems")),
        Check("offline", "an audit offline", _exits(2, "nothing reachable"), statuses=unreachable),
        Check("none", "nothing to check", unavailable="no such folder"),
        Check("slow", "the suite", _exits(0)),
    ]
    seen: list[str] = []
    rows = run_gate(
        checks,
        root=tmp_path,
        logs=tmp_path / "logs",
        skip=frozenset({"slow"}),
        on_row=lambda row: seen.append(row.name),
    )
    assert seen == ["good", "bad", "offline", "none", "slow"]
    by_name = {row.name: row for row in rows}
    assert by_name["good"].status is Status.PASS
    assert by_name["bad"].status is Status.FAIL
    assert by_name["bad"].detail.startswith("3 problems; see ")
    assert by_name["offline"].status is Status.NOT_CHECKED
    assert by_name["offline"].detail.startswith("not checked: unreachable; nothing reachable")
    assert by_name["none"].status is Status.NOT_AVAILABLE
    assert by_name["slow"].status is Status.SKIPPED
    assert by_name["good"].seconds > 0
    assert (tmp_path / "logs" / "bad.log").read_text().strip() == "3 problems"


def test_only_passes_and_nothing_to_check_let_a_release_through() -> None:
    def row(status: Status) -> Row:
        return Row(name=status.value, title=status.value, status=status)

    assert gate_passed([row(Status.PASS), row(Status.NOT_AVAILABLE)])
    for blocking in (Status.FAIL, Status.NOT_CHECKED, Status.SKIPPED):
        assert not gate_passed([row(Status.PASS), row(blocking)]), blocking


def test_the_default_ref_is_the_last_tag_else_main(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    commit_empty(tmp_path, "one")
    assert default_ref(tmp_path) == "main"
    git(tmp_path, "tag", "v1.0.0")
    commit_empty(tmp_path, "two")
    assert default_ref(tmp_path) == "v1.0.0"
