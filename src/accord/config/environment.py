"""Choosing the environment a whole system runs in (``accord up --env E``).

:func:`prepare` checks, before any process starts, that the environment exists, that
every service's settings load in it (with the environment each process will get), and
that nothing breaks the environment's requirements (``config/<env>/environment.toml``:
:mod:`accord.config.requirements`). It returns the variables that carry the choice to
the processes: ``ACCORD_ENV`` and ``ACCORD_CONFIG_DIR``.

:func:`prepare_apart` does the same in a child process: loading a service's settings
imports its settings module, and with it, often, the whole service (its composition
root, its database and runtime libraries). ``accord up`` checks that way, so that the
supervisor, which stays up as long as the services, never carries them (about 20 MiB for
the shop).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from typing import Any

from accord.config.errors import ConfigError, Problem
from accord.config.files import DIR_VARIABLE, ENV_VARIABLE, Layout
from accord.config.load import Loaded, load
from accord.config.requirements import requirements, violations
from accord.errors import AccordError
from accord.project import FILENAME, Project, import_object

__all__ = ["EnvironmentRefused", "prepare", "prepare_apart"]


class EnvironmentRefused(ConfigError):
    """The environment's requirements are not met; ``lines`` says which, one per line."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__([Problem("", 0, "", line) for line in lines])
        self.lines = lines


def prepare(
    project: Project,
    env: str | None,
    service_env: Callable[[str], Mapping[str, str]],
    environ: Mapping[str, str],
) -> dict[str, str]:
    """The variables selecting ``env`` (default ``$ACCORD_ENV``, else dev) for every
    process; :class:`ConfigError` (or :class:`EnvironmentRefused`) when it cannot run."""
    layout = Layout.from_env(environ, start=project.root)
    if env:
        layout = layout.with_env(env)
    layout.check()
    chosen = {ENV_VARIABLE: layout.env, DIR_VARIABLE: str(layout.root.resolve())}
    loaded: dict[str, Loaded[Any]] = {}
    for name, spec in project.services.items():
        if not spec.settings:
            continue
        cls = import_object(spec.settings)
        loaded[name] = load(cls, name, layout, {**service_env(name), **chosen})
    refused = violations(layout.env, requirements(layout), loaded)
    if refused:
        raise EnvironmentRefused(refused)
    return chosen


def prepare_apart(
    project: Project,
    env: str | None,
    service_env: Callable[[str], Mapping[str, str]],
    environ: Mapping[str, str],
) -> dict[str, str]:
    """:func:`prepare`, run in a child process (the same Python, in the project's folder);
    the same answer and the same errors, nothing of the services imported here."""
    request = {
        "file": str(project.root / FILENAME),
        "home": str(project.home),
        "env": env,
        "environ": dict(environ),
        "services": {name: dict(service_env(name)) for name in project.services},
    }
    child = subprocess.run(
        [sys.executable, "-m", "accord.config.environment"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=project.root,
        check=False,
    )
    try:
        answer = json.loads(child.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        last = (child.stderr.strip().splitlines() or ["no answer"])[-1]
        raise AccordError(f"checking the settings failed: {last}") from None
    if "refused" in answer:
        raise EnvironmentRefused(answer["refused"])
    if "problems" in answer:
        raise ConfigError([Problem(*p) for p in answer["problems"]])
    if "error" in answer:
        raise AccordError(answer["error"])
    chosen: dict[str, str] = answer["chosen"]
    return chosen


def _child() -> None:
    """The child of :func:`prepare_apart`: a request on stdin, one JSON line on stdout."""
    from pathlib import Path

    from accord import project as projects

    request = json.loads(sys.stdin.read())
    environ = request["environ"]
    services = request["services"]
    try:
        project = projects.load(Path(request["file"]), {**environ, "ACCORD_HOME": request["home"]})
        sys.path.insert(0, str(project.root))
        chosen = prepare(project, request["env"], lambda name: services[name], environ)
        answer: dict[str, Any] = {"chosen": chosen}
    except EnvironmentRefused as exc:
        answer = {"refused": exc.lines}
    except ConfigError as exc:
        answer = {"problems": [[p.file, p.line, p.key, p.message] for p in exc.problems]}
    except AccordError as exc:
        answer = {"error": str(exc)}
    print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    _child()
