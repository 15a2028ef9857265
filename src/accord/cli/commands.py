"""The ``accord`` command line (Typer): the app, its commands, and running it.

Each sub-command lives in its own module with a ``register(app)`` function. Only the
module of the command being run is imported; help and unknown commands load them all.
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated

import typer

from accord.cli import _help, lean
from accord.errors import AccordError

__all__ = ["COMMANDS", "app", "run"]

app = typer.Typer(
    name="accord",
    help="Typed contracts, a service runtime and observability for microservices.\n\n"
    "Example: accord up   (then, in another terminal: accord demo)",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

#: Command name → the module(s) that register it, in the order help lists them.
COMMANDS: dict[str, str | tuple[str, ...]] = {
    "up": "up",
    "down": "down",
    "console": "console",
    "serve": "serve",
    "demo": "demo",
    "contracts": "contracts",
    "traces": "traces",
    "chaos": "chaos",
    "config": "config",
    "flags": "flags",
    "rollout": "rollout",
    "rollback": "rollout",
    "deploy": "deploy",
    "slo": "slo",
    "release": ("gate", "release"),  # gate adds a sub-command to release first
    "certs": "certs",
    "keys": "keys",
    "deps": "deps",
    "audit": "audit",
}


def _version(value: bool) -> None:
    if value:
        from accord import __version__

        typer.echo(f"accord {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Only --version: the help is the app's own (above)."""


def _register(argv: list[str] | None = None) -> None:
    words = [a for a in (sys.argv[1:] if argv is None else argv) if not a.startswith("-")]
    wanted = [words[0]] if words and words[0] in COMMANDS else list(COMMANDS)
    modules = [COMMANDS[name] for name in wanted]
    flat = [m for entry in modules for m in ((entry,) if isinstance(entry, str) else entry)]
    for module in dict.fromkeys(flat):  # once each, in order
        importlib.import_module(f"accord.cli.{module}").register(app)
    _help.apply(app)


def run() -> None:
    """Register the command being run (all of them for help) and run it.

    httpx is imported first without its own command line (click and Pygments, which it
    loads whenever installed and accord never uses): 3 MiB less in ``accord up``.
    """
    lean.import_without(("click", "pygments"), ("httpx",))
    _register()
    try:
        app(prog_name="accord")
    except AccordError as exc:
        typer.echo(f"accord: {exc}", err=True)
        sys.exit(2)
