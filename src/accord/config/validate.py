"""Checking every configuration file of every service, each problem once.

A file is checked on its own (syntax, unknown keys, types, ranges, literal secrets,
its schema major), then each environment's effective settings as a whole (what only
the combination shows). A file in an environment's folder that no service owns is a
problem too: a typo in a file name would otherwise be ignored silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from accord.config.errors import ConfigError, Problem
from accord.config.files import BASE, ENVIRONMENT_FILE, Layout, read_toml
from accord.config.load import check_file, load
from accord.config.requirements import requirements

__all__ = ["validate"]


def validate(
    classes: Mapping[str, type[Any]], layout: Layout, envs: Iterable[str]
) -> list[Problem]:
    """Every problem of the services' files in ``envs`` (and the base files), sorted."""
    found: set[Problem] = set()
    envs = list(envs)
    for folder in [BASE, *envs]:
        directory = layout.root / folder
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.toml")):
            service = path.stem
            if path.name == ENVIRONMENT_FILE and folder != BASE:
                found.update(_environment(layout.with_env(folder)))
                continue
            if service not in classes:
                found.add(Problem(str(path), 0, "", f"no service named {service!r} has settings"))
                continue
            found.update(_file(classes[service], service, path))
    for env in envs:
        for service, cls in classes.items():
            try:
                load(cls, service, layout.with_env(env), {})
            except ConfigError as exc:
                found.update(exc.problems)
    return sorted(found)


def _file(cls: type[Any], service: str, path: Any) -> list[Problem]:
    try:
        toml = read_toml(path)
    except ConfigError as exc:
        return exc.problems
    return check_file(cls, service, toml)


def _environment(layout: Layout) -> list[Problem]:
    try:
        requirements(layout)
    except ConfigError as exc:
        return exc.problems
    return []
