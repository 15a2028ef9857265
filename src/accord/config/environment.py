"""Choosing the environment a whole system runs in (``accord up --env E``).

:func:`prepare` checks, before any process starts, that the environment exists, that
every service's settings load in it (with the environment each process will get), and
that nothing breaks the environment's requirements (``config/<env>/environment.toml``:
:mod:`accord.config.requirements`). It returns the variables that carry the choice to
the processes: ``ACCORD_ENV`` and ``ACCORD_CONFIG_DIR``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from accord.config.errors import ConfigError, Problem
from accord.config.files import DIR_VARIABLE, ENV_VARIABLE, Layout
from accord.config.load import Loaded, load
from accord.config.requirements import requirements, violations
from accord.project import Project, import_object

__all__ = ["EnvironmentRefused", "prepare"]


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
