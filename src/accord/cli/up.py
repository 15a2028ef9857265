"""``accord up``: run every service of the project on loopback, in the foreground."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from accord import project as projects
from accord import runfile
from accord.cli import _help
from accord.cli.running import (
    SPEC_VARIABLE,
    console_for,
    make_rotator,
    printer,
    rotation_settings,
    run_system,
)
from accord.cli.serving import WARNING_VARIABLE
from accord.errors import AccordError
from accord.supervisor import Supervisor

#: Printed at start and carried in every ``/readyz`` under ``accord up --plain``.
PLAIN_WARNING = "--plain: calls between services are plain HTTP, unencrypted (debugging only)"


def register(app: typer.Typer) -> None:
    """Add ``accord up`` to the CLI."""
    app.command("up", rich_help_panel=_help.RUN)(up)


def parse_ports(values: list[str]) -> dict[str, int]:
    """``["orders=9101"]`` → ``{"orders": 9101}``."""
    ports: dict[str, int] = {}
    for item in values:
        name, sep, port = item.partition("=")
        if not sep or not port.isdigit() or not 0 < int(port) < 65536:
            raise projects.ProjectError(f"--port takes NAME=PORT, got {item!r}")
        ports[name] = int(port)
    return ports


def up(
    port: Annotated[
        list[str],
        typer.Option(
            "--port", metavar="NAME=PORT", help="Override a service's port (repeat for more)."
        ),
    ] = [],  # noqa: B006 - typer reads the default
    raw: Annotated[
        bool, typer.Option("--raw", help="Print log lines as the services write them.")
    ] = False,
    tls: Annotated[
        bool,
        typer.Option(
            "--tls/--plain",
            help=(
                "Mutual TLS between services, HTTPS for customers (certificates under "
                "<home>/certs, made on first run); --plain: plain HTTP, for debugging."
            ),
        ),
    ] = True,
    reload: Annotated[
        bool,
        typer.Option(
            "--reload", help="Restart a service when the Python code it imported changes."
        ),
    ] = False,
    tls_allow: Annotated[
        list[str],
        typer.Option(
            "--tls-allow",
            metavar="SERVICE=CALLERS",
            help="Who alone may call a service over TLS: SERVICE=CALLER[,CALLER...].",
        ),
    ] = [],  # noqa: B006 - typer reads the default
    env: Annotated[
        str | None,
        typer.Option("--env", help="The environment (config/<env>/; default $ACCORD_ENV, dev)."),
    ] = None,
    console_port: Annotated[
        int,
        typer.Option(
            "--console-port",
            metavar="PORT",
            min=0,
            max=65535,
            help="Serve `accord console` on this port (0: no console).",
        ),
    ] = 8100,
) -> None:
    """Start every service of the project, wait until each is ready, stream their logs.

    Ctrl-C, SIGTERM or closing the terminal stops them all gracefully; no service
    outlives accord up, however it ends. `accord down` stops it from another terminal.

    Every call, the services' calls to each other too, is mutual TLS unless --plain; the
    local CA and the certificates are made on first run (customers trust
    <home>/certs/ca.crt).

    Example: accord up --port orders=9101 --raw
    """
    project = projects.load()
    console = console_for()
    allow = parse_allow(tls_allow, project)
    if allow and not tls:
        raise projects.ProjectError("--tls-allow needs TLS (drop --plain)")
    tls_dir = project.home / "certs" if tls else None  # issued once the environment passes
    supervisor = Supervisor(
        project,
        ports=parse_ports(port),
        on_line=printer(project, console, raw=raw),
        tls_dir=tls_dir,
        dataplane=True,
        reload=reload,
    )
    clear_previous(project, console)
    _prepare(supervisor, console, allow=allow, tls=tls, env=env)
    code = _serve(supervisor, console, console_port, raw=raw)
    raise typer.Exit(code)


def _prepare(
    supervisor: Supervisor,
    console: Console,
    *,
    allow: dict[str, list[str]],
    tls: bool,
    env: str | None,
) -> None:
    """The services' environment (allow-lists, the --plain warning, the environment
    checked), then the certificates, issued only once the environment passed."""
    project = supervisor.project
    for name, callers in allow.items():
        supervisor.extra_env.setdefault(name, {}).update(allow_env(callers))
    if not tls:  # said now, and again by every /readyz
        warning = Text(f"accord: warning: {PLAIN_WARNING}", style="bold yellow")
        console.print(warning, soft_wrap=True)
        supervisor.environ[WARNING_VARIABLE] = PLAIN_WARNING
    supervisor.environ.update(choose_environment(project, env, supervisor))
    if tls:
        prepare_tls(project, console)
    else:
        prepare_client_keys(project, console)


def _serve(supervisor: Supervisor, console: Console, console_port: int, *, raw: bool) -> int:
    """Run the prepared system until it is stopped; its exit status.

    On POSIX this process first becomes a fresh interpreter (``exec``: the same pid,
    terminal and parent) that only runs the system: what reading the command line and
    preparing loaded (Typer's pydantic models, the certificates' machinery) is not
    carried for as long as the services run. ``ACCORD_UP_EXEC=0`` runs it here.
    """
    if os.name != "posix" or os.environ.get("ACCORD_UP_EXEC", "1") == "0":
        rotator = make_rotator(supervisor, rotation_settings(supervisor.project), console)
        return asyncio.run(run_system(supervisor, console, console_port, rotator))
    spec = {
        "file": str(supervisor.project.root / projects.FILENAME),
        "home": str(supervisor.project.home),
        "ports": {name: svc.port for name, svc in supervisor.services.items()},
        "tls_dir": None if supervisor.tls_dir is None else str(supervisor.tls_dir),
        "reload": supervisor.reload,
        "environ": supervisor.environ,
        "extra_env": supervisor.extra_env,
        "console_port": console_port,
        "raw": raw,
    }
    os.environ[SPEC_VARIABLE] = json.dumps(spec)
    sys.stdout.flush()
    sys.stderr.flush()
    rest = sys.argv[sys.argv.index("up") + 1 :] if "up" in sys.argv else []
    argv = [sys.executable, "-m", "accord", "up", *rest]  # what ``ps`` shows
    os.execv(sys.executable, argv)  # noqa: S606 - this same Python, fixed module
    return 1  # not reached: execv returns only by raising


def clear_previous(project: projects.Project, console: Console) -> None:
    """Stop the services an earlier ``accord up`` left running (and say so); fail with
    one line when that earlier ``accord up`` still runs."""
    try:
        left = runfile.clear_stale(project.home)
    except runfile.AlreadyRunning as exc:
        raise projects.ProjectError(str(exc)) from None
    if left:
        listed = ", ".join(f"{svc.name} (pid {svc.pid})" for svc in left)
        console.print(f"stopped what an earlier accord up left running: {listed}")


def choose_environment(
    project: projects.Project, env: str | None, supervisor: Supervisor
) -> dict[str, str]:
    """The variables running the services in ``env``; refused in one line per reason."""
    from accord.cli.exits import fail
    from accord.config.environment import EnvironmentRefused, prepare_apart

    try:
        return prepare_apart(project, env, supervisor.service_env, supervisor.environ)
    except EnvironmentRefused as exc:
        for line in exc.lines:
            typer.echo(f"accord: refused: {line}", err=True)
        raise fail(f"{len(exc.lines)} setting(s) not allowed here", code=1) from None
    except AccordError as exc:
        raise fail(str(exc), code=1) from None


def parse_allow(values: list[str], project: projects.Project) -> dict[str, list[str]]:
    """``["inventory=orders,me"]`` → ``{"inventory": ["orders", "me"]}``."""
    allow: dict[str, list[str]] = {}
    for item in values:
        name, sep, callers = item.partition("=")
        listed = [c.strip() for c in callers.split(",") if c.strip()]
        if not sep or not listed:
            raise projects.ProjectError(
                f"--tls-allow takes SERVICE=CALLER[,CALLER...], got {item!r}"
            )
        if name not in project.services:
            raise projects.ProjectError(f"--tls-allow names an unknown service {name!r}")
        allow.setdefault(name, []).extend(listed)
    return allow


def allow_env(callers: list[str]) -> dict[str, str]:
    """The environment that limits a service's callers (its probes stay allowed)."""
    from accord.security.tls import ALLOW_VARIABLE, SUPERVISOR

    return {ALLOW_VARIABLE: ",".join([*callers, SUPERVISOR])}


def prepare_tls(
    project: projects.Project, console: Console, *, lifetime: timedelta | None = None
) -> Path:
    """The certificate folder, with a CA and a certificate for every service (and the
    supervisor's probes) created or renewed where missing, expired, foreign or past two
    thirds of their life; new ones live ``lifetime`` (default: the rotation settings')."""
    from accord.security.tls import SUPERVISOR, ensure_certificates

    folder = project.home / "certs"
    if lifetime is None:
        lifetime = timedelta(seconds=rotation_settings(project)().cert_lifetime)
    try:
        issued = ensure_certificates(
            folder,
            [*project.services, SUPERVISOR],
            trust_domain=project.trust_domain,
            lifetime=lifetime,
        )
    except (AccordError, OSError) as exc:
        raise projects.ProjectError(f"cannot prepare certificates: {exc}") from None
    if issued:
        console.print(f"issued certificates in {folder}: {', '.join(issued)}")
    return folder


def prepare_client_keys(project: projects.Project, console: Console) -> Path:
    """Without certificates, every service (and the supervisor's tools) gets a key pair
    of its own under ``<home>/client-keys``, made where missing: it signs its client
    assertions (RFC 7523) with the private half; the token issuer reads the public one."""
    from accord.security.clientkeys import ClientKeys
    from accord.security.tls import SUPERVISOR

    keys = ClientKeys.under(project.home)
    try:
        made = keys.ensure([*project.services, SUPERVISOR])
    except OSError as exc:
        raise projects.ProjectError(f"cannot prepare client keys: {exc}") from None
    if made:
        console.print(f"made client keys in {keys.folder}: {', '.join(made)}")
    return keys.folder
