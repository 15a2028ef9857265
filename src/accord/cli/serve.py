"""``accord serve MODULE:FACTORY``: run one service in this process.

The options and their help; what serving does is :mod:`accord.cli.serving`, which also
starts a service without this command line (``accord serve`` without ``-h``).
"""

from __future__ import annotations

import typer

from accord.cli import serving
from accord.cli.serving import FORWARDED_VARIABLE, PORT_VARIABLE

__all__ = ["register"]


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
    head_timeout: float | None = typer.Option(
        None,
        "--head-timeout",
        help="Seconds a client has to send a request head (default 5); slower, it is cut.",
    ),
    forwarded_allow_ips: str | None = typer.Option(
        None,
        "--forwarded-allow-ips",
        help=(
            "Proxies (addresses or networks, comma-separated; * for any) whose "
            f"X-Forwarded-For is believed (default ${FORWARDED_VARIABLE}; none)."
        ),
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
    from accord.cli.exits import fail

    try:
        code = serving.serve_target(
            target,
            host=host,
            port=port,
            drain_delay=drain_delay,
            shutdown_timeout=shutdown_timeout,
            head_timeout=head_timeout,
            forwarded_allow_ips=forwarded_allow_ips,
            tls_dir=tls_dir,
            tls_name=tls_name,
            tls_allow=tls_allow,
            reload=reload,
        )
    except serving.ServeError as exc:
        raise fail(str(exc)) from None
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the accord CLI."""
    from accord.cli import _help

    app.command("serve", rich_help_panel=_help.RUN)(serve_command)
