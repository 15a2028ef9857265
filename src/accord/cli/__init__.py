"""The ``accord`` command.

Each sub-command lives in its own module with a ``register(app)`` function. Errors a user
can cause end in a one-line message and a non-zero exit, never a traceback
(:func:`accord.cli.exits.fail`).
"""

from __future__ import annotations

import sys

import typer

# ``accord.cli.fail`` stays importable; a command imports it from ``accord.cli.exits``, as
# importing this package from a command closes a cycle (``_register`` below).
from accord.cli.exits import fail as fail
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


def main() -> None:
    """Entry point of the ``accord`` console script."""
    _register()
    try:
        app()
    except AccordError as exc:
        typer.echo(f"accord: {exc}", err=True)
        sys.exit(2)
