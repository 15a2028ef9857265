"""``accord deps audit``: known vulnerabilities of the locked dependencies.

::

    accord deps audit                                # ask an advisory service (pip-audit)
    accord deps audit --osv-dir ../advisory-database # air-gapped: a local OSV copy
    accord deps audit --lock requirements.lock --json

Exit status: 0 when no pin is known to be vulnerable, 1 when one is, 2 when nothing could
be checked (no advisory folder given and no advisory service reachable) — never a pass
that checked nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table

from accord.advisories import Finding, Pin, audit_lock, load_advisories, read_lock
from accord.cli.exits import fail

__all__ = ["register"]

#: Where an advisory service answers for one locked pin (``{name}``, ``{version}``), probed
#: before pip-audit is asked to look every pin up there; a mirror that serves packages but
#: not their per-version records is no advisory service. ``ACCORD_ADVISORY_PROBES``
#: (space-separated URLs) replaces the list.
PROBES = (
    "https://pypi.org/pypi/{name}/{version}/json",
    "https://api.osv.dev/v1/vulns/PYSEC-2021-1",
)


def register(app: typer.Typer) -> None:
    """Add ``accord deps`` to the accord CLI."""
    deps = typer.Typer(help="The project's locked dependencies.", no_args_is_help=True)
    deps.command("audit")(audit)
    from accord.cli import _help

    app.add_typer(deps, name="deps", rich_help_panel=_help.SECURITY)


def audit(
    lock: Annotated[
        Path, typer.Option("--lock", help="The hashed lock file whose pins are checked.")
    ] = Path("requirements-dev.lock"),
    osv_dir: Annotated[
        Path | None,
        typer.Option(
            "--osv-dir",
            metavar="DIR",
            help="A local copy of an OSV advisory database (e.g. PyPA's advisory-database).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Check every locked pin for known vulnerabilities (exit 1 if any, 2 if unchecked).

    Example: accord deps audit --lock requirements.lock
    """
    pins = read_lock(lock)
    if osv_dir is None:
        raise typer.Exit(_with_service(lock, pins[0]))
    advisories = load_advisories(osv_dir)
    findings = audit_lock(pins, advisories)
    if as_json:
        typer.echo(json.dumps(_as_json(lock, len(pins), findings), indent=2))
    else:
        _print(findings)
        count = sum(len(v) for v in advisories.values())
        typer.echo(
            f"{len(pins)} pins of {lock} checked against {count} advisories in {osv_dir}: "
            f"{len({f.pin for f in findings})} vulnerable"
        )
    raise typer.Exit(1 if findings else 0)


def _print(findings: list[Finding]) -> None:
    if not findings:
        return
    table = Table(title="known vulnerabilities")
    for column in ("package", "version", "advisory", "aliases", "fixed in", "summary"):
        table.add_column(column, overflow="fold")
    for f in findings:
        table.add_row(
            f.pin.name,
            f.pin.version,
            f.advisory.id,
            ", ".join(f.advisory.aliases),
            f.fixed_in,
            f.advisory.summary,
        )
    Console().print(table)


def _as_json(lock: Path, pins: int, findings: list[Finding]) -> dict[str, object]:
    return {
        "lock": str(lock),
        "pins": pins,
        "vulnerable": [
            {
                "package": f.pin.name,
                "version": f.pin.version,
                "advisory": f.advisory.id,
                "aliases": list(f.advisory.aliases),
                "fixed_in": list(f.advisory.fixed),
            }
            for f in findings
        ],
    }


def _with_service(lock: Path, sample: Pin) -> int:
    """pip-audit against a reachable advisory service; 2 when none answers."""
    probes = [
        url.format(name=sample.name, version=sample.version)
        for url in os.environ.get("ACCORD_ADVISORY_PROBES", " ".join(PROBES)).split()
    ]
    answers = [_probe(url) for url in probes]
    if not any(ok for ok, _ in answers):
        seen = "; ".join(f"{url}: {why}" for url, (_, why) in zip(probes, answers, strict=True))
        raise fail(
            f"no advisory service is reachable ({seen}) and no --osv-dir was given: "
            "nothing was checked",
            2,
        )
    pip_audit = shutil.which("pip-audit") or str(Path(sys.executable).with_name("pip-audit"))
    command = [
        pip_audit, "-r", str(lock), "--require-hashes", "--disable-pip", "--strict",
        "--progress-spinner", "off",
    ]  # fmt: skip
    return subprocess.run(command, check=False).returncode  # noqa: S603 - our own tool


def _probe(url: str) -> tuple[bool, str]:
    try:
        answer = httpx.get(url, timeout=5.0)
    except httpx.HTTPError as exc:
        return False, type(exc).__name__
    return answer.status_code == 200, f"HTTP {answer.status_code}"
