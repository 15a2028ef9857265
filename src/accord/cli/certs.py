"""``accord certs``: a local certificate authority and one certificate per service.

::

    accord certs init [--trust-domain DOMAIN] [--dir DIR] [--force]
    accord certs issue SERVICE [--days 30]      # spiffe://<trust-domain>/<service>
    accord certs issue --all                    # every service in accord.toml
    accord certs rotate SERVICE|--all           # a new leaf, swapped in atomically
    accord certs status [--json]                # expiries and when renewals are due

The folder defaults to ``<project home>/certs`` of the nearest ``accord.toml``; ``--dir``
overrides it. The trust domain defaults to the project's (``[project] trust_domain``, else
``<name>.local``; ``accord.local`` with no project). Private keys are written with mode 0600.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord import project
from accord.cli.audit import record
from accord.cli.exits import fail
from accord.errors import AccordError
from accord.security.certs import LEAF_DAYS, CertStore, Leaf

__all__ = ["register"]

certs_app = typer.Typer(
    name="certs",
    help="Create a local CA and SPIFFE-id certificates for the project's services.",
    no_args_is_help=True,
)

DirOption = Annotated[
    Path | None,
    typer.Option(
        "--dir", help="Certificate folder (default: <project home>/certs).", show_default=False
    ),
]
DaysOption = Annotated[int, typer.Option("--days", min=1, help="Days the certificate is valid.")]
AllOption = Annotated[bool, typer.Option("--all", help="Every service in accord.toml.")]
ServiceArgument = Annotated[
    str | None, typer.Argument(help="A service name.", metavar="SERVICE", show_default=False)
]


def register(app: typer.Typer) -> None:
    """Add the ``certs`` group to the accord CLI."""
    from accord.cli import _help

    app.add_typer(certs_app, rich_help_panel=_help.SECURITY)


@certs_app.command("init")
def init_command(
    trust_domain: Annotated[
        str | None,
        typer.Option(
            "--trust-domain",
            help="The SPIFFE trust domain (default: the project's).",
            show_default=False,
        ),
    ] = None,
    directory: DirOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing CA.")] = False,
) -> None:
    """Create the certificate authority (EC P-256, valid about a year).

    Example: accord certs init --trust-domain shop.local
    """
    store = CertStore(_folder(directory))
    try:
        ca = store.init(trust_domain or _project_trust_domain(), force=force)
    except (AccordError, OSError) as exc:
        raise fail(_one_line(exc)) from None
    until = ca.cert.not_valid_after_utc.date().isoformat()
    typer.echo(f"wrote {store.ca_cert_path} (trust domain {ca.trust_domain}, until {until})")
    if force:
        typer.echo("the old CA is gone: issue every service's certificate again")


@certs_app.command("issue")
def issue_command(
    service: ServiceArgument = None,
    every: AllOption = False,
    days: DaysOption = LEAF_DAYS,
    directory: DirOption = None,
) -> None:
    """Issue a certificate for one service, or for every service with --all.

    Example: accord certs issue orders
    """
    _run(service, every, days, directory, rotate=False)


@certs_app.command("rotate")
def rotate_command(
    service: ServiceArgument = None,
    every: AllOption = False,
    days: DaysOption = LEAF_DAYS,
    directory: DirOption = None,
) -> None:
    """Replace a service's certificate with a new one, atomically.

    Example: accord certs rotate --all
    """
    _run(service, every, days, directory, rotate=True)


@certs_app.command("status")
def status_command(
    directory: DirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """Each certificate: SPIFFE id, serial, expiry and when its renewal is due.

    Example: accord certs status
    """
    from accord.cli.rotation_status import certs_status

    certs_status(_folder(directory, code=1), as_json=as_json)


def _run(
    service: str | None, every: bool, days: int, directory: Path | None, *, rotate: bool
) -> None:
    names = _services(service, every)
    folder = _folder(directory)
    store = CertStore(folder)
    action = "certs.rotate" if rotate else "certs.issue"
    home = folder.parent  # certificates live in <home>/certs
    for name in names:
        try:
            leaf = store.rotate(name, days=days) if rotate else store.issue(name, days=days)
        except (AccordError, OSError) as exc:
            detail = {"error": _one_line(exc)}
            record(action, target=name, outcome="failed", details=detail, home=home)
            raise fail(_one_line(exc)) from None
        until = leaf.cert.not_valid_after_utc.isoformat()
        detail = {"spiffe_id": str(leaf.spiffe_id), "serial": f"{leaf.cert.serial_number:x}"}
        record(action, target=name, details={**detail, "not_after": until}, home=home)
        typer.echo(_issued(store, name, leaf))


def _issued(store: CertStore, name: str, leaf: Leaf) -> str:
    until = leaf.cert.not_valid_after_utc.strftime("%Y-%m-%d %H:%M UTC")
    return f"wrote {store.cert_path(name)} ({leaf.spiffe_id}, until {until})"


def _services(service: str | None, every: bool) -> list[str]:
    if every == (service is not None):
        raise fail("give one SERVICE or --all")
    try:
        loaded = project.load()
    except project.ProjectError as exc:
        if every:
            raise fail(_one_line(exc)) from None
        return [service] if service is not None else []
    if every:
        if not loaded.services:
            raise fail("accord.toml declares no services")
        return list(loaded.services)
    assert service is not None
    if service not in loaded.services:
        known = ", ".join(loaded.services) or "none"
        raise fail(f"unknown service {service!r} (services in accord.toml: {known})")
    return [service]


def _project_trust_domain() -> str:
    try:
        return project.load().trust_domain
    except project.ProjectError:
        return project.DEFAULT_TRUST_DOMAIN


def _folder(directory: Path | None, *, code: int = 2) -> Path:
    if directory is not None:
        return directory
    try:
        return project.load().home / "certs"
    except project.ProjectError as exc:
        raise fail(f"{_one_line(exc)} (or give --dir)", code=code) from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
