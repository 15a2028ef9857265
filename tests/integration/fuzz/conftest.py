"""Prints how many cases each fuzzing pass generated, sent and validated."""

from __future__ import annotations

from typing import Any

from tests.integration.fuzz.tally import TALLIES


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TALLIES:
        return
    write = terminalreporter.write_line
    terminalreporter.section("schemathesis: cases per operation")
    columns = f"{'generated':>9} {'sent':>5} {'overloaded':>10} {'validated':>9}"
    write(f"{'operation and pass':<66} {columns}")
    for t in TALLIES:
        write(f"{t.name:<66} {t.generated:>9} {t.sent:>5} {t.overloaded:>10} {t.validated:>9}")
    sent = sum(t.sent for t in TALLIES)
    validated = sum(t.validated for t in TALLIES)
    write(f"{len(TALLIES)} passes: {validated} of {sent} cases sent were validated")
