"""The ``accord`` command.

Each sub-command lives in its own module with a ``register(app)`` function. Errors a user
can cause end in a one-line message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from accord.errors import AccordError

__all__ = ["app", "main"]

app = typer.Typer(
    name="accord",
    help="Typed contracts, a service runtime and observability for microservices.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    from accord.cli import (
        audit,
        certs,
        chaos,
        config,
        contracts,
        demo,
        deploy,
        deps,
        flags,
        gate,
        keys,
        release,
        rollout,
        serve,
        slo,
        traces,
        up,
    )

    for module in (
        contracts,
        config,
        traces,
        serve,
        up,
        demo,
        certs,
        keys,
        chaos,
        deps,
        slo,
        release,
        flags,
        rollout,
        gate,
        deploy,
        audit,
    ):
        module.register(app)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line error to stderr and return the exit to raise."""
    typer.echo(f"accord: {message}", err=True)
    return typer.Exit(code)


def main() -> None:
    """Entry point of the ``accord`` console script."""
    _register()
    try:
        app()
    except AccordError as exc:
        typer.echo(f"accord: {exc}", err=True)
        sys.exit(2)
