"""The ``accord`` command.

:func:`main` starts ``accord serve`` without the rest of the command line
(:mod:`accord.cli.serving`: every service process runs it, so it stays small) and every
other command with Typer (:mod:`accord.cli.commands`). Errors a user can cause end in a
one-line message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

__all__ = ["app", "main"]


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line error to stderr and return the exit to raise."""
    import typer

    typer.echo(f"accord: {message}", err=True)
    return typer.Exit(code)


def main() -> None:
    """Entry point of the ``accord`` console script."""
    argv = sys.argv[1:]
    if argv[:1] == ["serve"]:
        from accord.cli import serving

        code = serving.main(argv[1:])
        if code is not None:
            sys.exit(code)
    from accord.cli.commands import run

    run()


def __getattr__(name: str) -> Any:
    if name == "app":  # the Typer app, built on first use
        from accord.cli.commands import app

        return app
    raise AttributeError(f"module 'accord.cli' has no attribute {name!r}")
