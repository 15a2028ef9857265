"""The ``accord`` command.

:func:`main` starts ``accord serve`` without the rest of the command line
(:mod:`accord.cli.serving`: every service process runs it, so it stays small) and every
other command with Typer (:mod:`accord.cli.commands`); ``accord up``, once it has
prepared the system, continues in a fresh process (:func:`accord.cli.running.continue_prepared`)
that loads no Typer command either. Errors a user can cause end in a
one-line message and a non-zero exit, never a traceback (:func:`accord.cli.exits.fail`).
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``accord`` console script."""
    argv = sys.argv[1:]
    if argv[:1] == ["up"] and "ACCORD_UP_SPEC" in os.environ:  # accord up, once prepared
        from accord.cli import lean

        lean.import_without(("click", "pygments"), ("httpx",))
        lean.uvicorn_without_command_line()
        from accord.cli.running import continue_prepared

        continue_prepared()
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
    if name == "fail":  # still importable from here; commands import accord.cli.exits
        from accord.cli.exits import fail

        return fail
    raise AttributeError(f"module 'accord.cli' has no attribute {name!r}")
