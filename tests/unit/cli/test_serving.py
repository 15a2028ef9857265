"""`accord serve` starts leanly: its own parser stays in step with the documented options,
and a service process loads neither Typer nor Rich."""

from __future__ import annotations

import subprocess
import sys

from accord.cli import serving
from tests.support.processes import ROOT, run_python


def test_the_lean_parser_takes_every_option_the_help_documents() -> None:
    import typer.main

    from accord.cli.commands import app, run  # noqa: F401 - builds the app
    from accord.cli.serve import register

    sub = typer.Typer()
    register(sub)
    sub.callback()(lambda: None)
    command = typer.main.get_command(sub).commands["serve"]  # type: ignore[attr-defined]
    documented = {opt for p in command.params for opt in p.opts if opt.startswith("--")}
    lean = {opt for action in serving.parser()._actions for opt in action.option_strings}
    assert documented == lean


def test_a_service_may_still_import_rich_itself() -> None:
    probe = (
        "import sys\n"
        "from accord.cli import lean, serving\n"
        "lean.import_without(serving._HELD_OUT, serving._PRETTY_ONLY)\n"
        "import structlog.dev, rich.console\n"
        "print(structlog.dev.rich is None, rich.console.Console is not None)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.stdout.split() == ["True", "True"], result.stderr


def test_a_service_process_loads_neither_typer_nor_rich() -> None:
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['accord', 'serve', 'accord.runtime:App', '--port', '1']\n"
        "from accord.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('typer', 'rich', 'pygments', 'pydantic', 'click')\n"
        "print(sorted(m for m in heavy if sys.modules.get(m)))\n"
    )
    result = run_python(probe, cwd=ROOT)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout + result.stderr
    # The runtime was imported (the factory was called), and still no Rich.
    assert result.stderr.startswith("accord: accord.runtime:App() failed: TypeError")


def test_the_asyncio_engine_loads_without_the_orm_which_still_loads_on_use() -> None:
    probe = (
        "import sys\n"
        "from accord.cli import lean\n"
        "lean.asyncio_engine_without_orm()\n"
        "from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine, AsyncConnection\n"
        "print('sqlalchemy.orm' in sys.modules)\n"
        "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker\n"
        "import sqlalchemy.ext.asyncio as pkg\n"
        "print('sqlalchemy.orm' in sys.modules, pkg.AsyncEngine is AsyncEngine)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.stdout.split() == ["False", "True", "True"], result.stderr


def test_uvicorn_serves_without_its_command_line_which_still_loads_on_use() -> None:
    probe = (
        "import sys\n"
        "from accord.cli import lean\n"
        "lean.uvicorn_without_command_line()\n"
        "import accord.runtime.server, uvicorn.lifespan.on\n"
        "held = ('uvicorn.main', 'uvicorn.supervisors', 'watchfiles', 'multiprocessing')\n"
        "print(sorted(m for m in held if m in sys.modules))\n"
        "import uvicorn, uvicorn.config, uvicorn.server\n"
        "print(uvicorn.Config is uvicorn.config.Config, uvicorn.Server is uvicorn.server.Server)\n"
        "print(callable(uvicorn.run), isinstance(uvicorn.__version__, str))\n"
    )
    result = run_python(probe, cwd=ROOT)
    assert result.stdout.split("\n")[:3] == ["[]", "True True", "True True"], (
        result.stdout + result.stderr
    )
