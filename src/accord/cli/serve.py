"""``accord serve MODULE:FACTORY``: run one service in this process."""

from __future__ import annotations

import dataclasses
import os
import ssl
import sys

import typer

from accord.errors import AccordError

__all__ = ["register"]

PORT_VARIABLE = "ACCORD_PORT"
#: A supervisor's start nonce, echoed by ``/readyz`` (``accord.supervisor``).
INSTANCE_VARIABLE = "ACCORD_INSTANCE"


def _port(value: int | None) -> int:
    if value is not None:
        raw = str(value)
    else:
        raw = os.environ.get(PORT_VARIABLE, "").strip()
        if not raw:
            raise _fail(f"no port: pass --port or set ${PORT_VARIABLE}")
    try:
        port = int(raw)
    except ValueError:
        raise _fail(f"port {raw!r} is not a number") from None
    if not 0 <= port <= 65535:
        raise _fail(f"port {port} is not within 0..65535")
    return port


def _fail(message: str) -> typer.Exit:
    from accord.cli import fail

    return fail(message)


def serve_command(
    target: str = typer.Argument(..., metavar="MODULE:FACTORY", help="Returns an accord App."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int | None = typer.Option(None, "--port", help=f"Port (default ${PORT_VARIABLE})."),
    drain_delay: float = typer.Option(
        0.0, "--drain-delay", help="Seconds to keep serving (readiness 503) after SIGTERM."
    ),
    shutdown_timeout: float = typer.Option(
        10.0, "--shutdown-timeout", help="Seconds in-flight requests get to finish."
    ),
    tls_dir: str | None = typer.Option(
        None,
        "--tls-dir",
        help="Serve HTTPS with mutual TLS from this certificate folder (default $ACCORD_TLS_DIR).",
    ),
    tls_name: str | None = typer.Option(
        None, "--tls-name", help="The certificate to serve (default $ACCORD_SERVICE)."
    ),
    tls_allow: list[str] = typer.Option(
        [],
        "--tls-allow",
        metavar="CALLER",
        help="A service or SPIFFE id allowed to call (repeat; default all).",
    ),
    reload: bool = typer.Option(
        False, "--reload", help="Restart when the Python code the service imported changes."
    ),
) -> None:
    """Serve the App that MODULE:FACTORY returns, until SIGTERM or SIGINT.

    Example: accord serve shop.inventory.bootstrap:create_app --port 8102
    """
    chosen_port = _port(port)
    _watch_parent()
    if reload:
        from pathlib import Path

        from accord import reload as reloading

        argv = [sys.executable, "-m", "accord", *(a for a in sys.argv[1:] if a != "--reload")]
        raise typer.Exit(reloading.run(argv, root=Path.cwd()))
    from accord.project import import_object
    from accord.runtime import App, serve

    tls = _tls(tls_dir, tls_name, tls_allow)
    if drain_delay < 0 or shutdown_timeout < 0:
        raise _fail("--drain-delay and --shutdown-timeout must not be negative")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        factory = import_object(target)
    except AccordError as exc:
        raise _fail(str(exc)) from None
    except Exception as exc:  # the module's own code failed: a syntax error, a raise
        where = f" ({exc.filename}, line {exc.lineno})" if isinstance(exc, SyntaxError) else ""
        detail = " ".join(str(exc.msg if isinstance(exc, SyntaxError) else exc).split())
        raise _fail(f"cannot import {target}: {type(exc).__name__}: {detail}{where}") from None
    if not callable(factory):
        raise _fail(f"{target} is not callable")
    try:
        app = factory()
    except Exception as exc:
        detail = " ".join(str(exc).split())
        raise _fail(f"{target}() failed: {type(exc).__name__}: {detail}") from None
    if not isinstance(app, App):
        raise _fail(f"{target}() returned {type(app).__name__}, not an accord App")
    _supervised(app)
    serve(
        app,
        host=host,
        port=chosen_port,
        shutdown_timeout=shutdown_timeout,
        drain_delay=drain_delay,
        tls=tls,
    )


def _watch_parent() -> None:
    """Started by a supervisor (or a reloader): end when it ends, where the kernel does
    not see to it (:func:`accord.lifetime.watch_parent`)."""
    from accord import lifetime

    parent = os.environ.get(lifetime.PARENT_VARIABLE, "")
    if parent.isdigit():
        lifetime.watch_parent(int(parent))


def _supervised(app: object) -> None:
    """Under a supervisor: echo its nonce in ``/readyz``, and end when it ends; under a
    reloader: say which files this process imported."""
    from accord.runtime import App

    instance = os.environ.get(INSTANCE_VARIABLE, "")
    if instance and isinstance(app, App):
        app.identify(instance)
    from pathlib import Path

    from accord.reload import write_manifest

    write_manifest(Path.cwd())


def _tls(directory: str | None, name: str | None, allow: list[str]) -> ssl.SSLContext | None:
    """The server's TLS context from the options, else ``$ACCORD_TLS_*``; None: plain HTTP."""
    from accord.security.tls import DIR_VARIABLE, TLSConfig, server_context

    environ = dict(os.environ)
    if directory:
        environ[DIR_VARIABLE] = directory
    try:
        config = TLSConfig.from_env(environ, name=name)
        if config is None:
            return None
        if allow:
            config = dataclasses.replace(config, allow=frozenset(allow))
        return server_context(config)
    except AccordError as exc:
        raise _fail(" ".join(str(exc).split())) from None


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the accord CLI."""
    from accord.cli import _help

    app.command("serve", rich_help_panel=_help.RUN)(serve_command)
