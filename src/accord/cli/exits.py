"""How a sub-command ends on an error a user can cause: one line on stderr, an exit code."""

from __future__ import annotations

import typer

__all__ = ["fail"]


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line error to stderr and return the exit to raise."""
    typer.echo(f"accord: {message}", err=True)
    return typer.Exit(code)
