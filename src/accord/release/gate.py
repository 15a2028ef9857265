"""The release gate: every check a release must pass, run in order, one verdict.

A :class:`Check` is a command (argv, run in the project's folder) and what its exit
status means; :func:`run_gate` runs the checks in order and returns one :class:`Row`
each, with the time it took::

    rows = run_gate(checks, root=project.root, logs=project.home / "gate")
    passed = gate_passed(rows)      # every row passed (or has nothing to check)

A row's status is one of :class:`Status`. Only ``pass`` and ``not available`` (the
project has nothing of that kind to check) let the gate pass; ``skipped`` (asked to)
and ``not checked`` (the check could not run, e.g. its advisory service is unreachable)
do not, any more than ``fail``. Each check's output is kept in ``<logs>/<name>.log``.
"""

from __future__ import annotations

import enum
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

__all__ = ["Check", "Row", "Status", "gate_passed", "run_gate"]


class Status(enum.StrEnum):
    """What one row of the gate says."""

    PASS = "pass"  # noqa: S105 - a status, not a password
    FAIL = "fail"
    NOT_CHECKED = "not checked"
    SKIPPED = "skipped"
    NOT_AVAILABLE = "not available"


#: The statuses that let the gate pass.
PASSING = frozenset({Status.PASS, Status.NOT_AVAILABLE})


class Row(msgspec.Struct, frozen=True, kw_only=True):
    """One check's outcome: its status, the seconds it took, and a one-line detail."""

    name: str
    title: str
    status: Status
    seconds: float = 0.0
    detail: str = ""


@dataclass(frozen=True)
class Check:
    """One row of the gate: ``argv`` run in the project's folder.

    ``statuses`` maps an exit status to a row status and its detail (unlisted: 0 is a
    pass, anything else a failure). A check with ``unavailable`` set is not run: its row
    says ``not available`` and why.
    """

    name: str
    title: str
    argv: tuple[str, ...] = ()
    statuses: dict[int, tuple[Status, str]] = field(default_factory=dict)
    unavailable: str = ""
    timeout: float = 3600.0


def gate_passed(rows: Sequence[Row]) -> bool:
    """True when every row passed or had nothing to check."""
    return all(row.status in PASSING for row in rows)


def run_gate(
    checks: Sequence[Check],
    *,
    root: Path,
    logs: Path,
    skip: frozenset[str] = frozenset(),
    on_row: Callable[[Row], None] | None = None,
) -> list[Row]:
    """Run ``checks`` in order (those named in ``skip`` are not run); one row each."""
    logs.mkdir(parents=True, exist_ok=True)
    rows = []
    for check in checks:
        row = _row(check, root, logs, skip)
        rows.append(row)
        if on_row is not None:
            on_row(row)
    return rows


def _row(check: Check, root: Path, logs: Path, skip: frozenset[str]) -> Row:
    if check.name in skip:
        return Row(name=check.name, title=check.title, status=Status.SKIPPED, detail="asked to")
    if check.unavailable:
        return Row(
            name=check.name,
            title=check.title,
            status=Status.NOT_AVAILABLE,
            detail=check.unavailable,
        )
    log = logs / f"{check.name}.log"
    started = time.perf_counter()
    try:
        with log.open("wb") as out:
            code = subprocess.run(  # noqa: S603 - argv of our own checks, no shell
                list(check.argv),
                cwd=root,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=check.timeout,
                check=False,
            ).returncode
    except subprocess.TimeoutExpired:
        seconds = time.perf_counter() - started
        detail = f"timed out after {check.timeout:g} s ({log})"
        return Row(
            name=check.name, title=check.title, status=Status.FAIL, seconds=seconds, detail=detail
        )
    except OSError as exc:
        detail = f"cannot run {check.argv[0]}: {exc.strerror}"
        return Row(name=check.name, title=check.title, status=Status.NOT_CHECKED, detail=detail)
    seconds = time.perf_counter() - started
    status, detail = check.statuses.get(code, (Status.PASS, "") if code == 0 else (Status.FAIL, ""))
    if status is not Status.PASS:
        detail = "; ".join(p for p in (detail, _last_line(log), f"see {log}") if p)
    return Row(name=check.name, title=check.title, status=status, seconds=seconds, detail=detail)


def _last_line(log: Path) -> str:
    lines = [
        line.strip()
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
        if line.strip()
    ]
    return lines[-1][:300] if lines else ""
