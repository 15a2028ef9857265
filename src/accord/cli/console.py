"""``accord console``: the running system in the browser.

::

    accord console                 # http://127.0.0.1:8100
    accord console --port 9000

It reads the system ``accord up`` started (``<home>/run.json``), or the ports of
``accord.toml`` when there is no run file. ``accord up`` serves it too.
"""

from __future__ import annotations

from typing import Annotated

import typer

from accord import project as projects

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``accord console`` to the CLI."""
    from accord.cli import _help

    app.command("console", rich_help_panel=_help.RUN)(console)


def console(
    port: Annotated[
        int, typer.Option("--port", metavar="PORT", min=1, max=65535, help="Port to serve on.")
    ] = 8100,
    host: Annotated[
        str, typer.Option("--host", metavar="HOST", help="Address to listen on.")
    ] = "127.0.0.1",
) -> None:
    """Serve a page over the running services, in the browser.

    Health and traffic, the map of calls, each contract with a "try it" form, traces as
    waterfalls, flags, configuration versions and rollouts.

    Example: accord console --port 8100
    """
    from accord.console import serve_console
    from accord.console.server import port_free

    project = projects.load()
    if not port_free(host, port):
        raise projects.ProjectError(f"port {port} is in use (is a console already up?)")
    typer.echo(f"console: http://{host}:{port}  (Ctrl-C stops it)")
    serve_console(project, host=host, port=port)
