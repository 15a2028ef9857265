"""Promotion: one environment's values written into another's files, pinned keys kept.

Both environments overlay the same base file, so the promoted file is the source
environment's overlay with every pinned key (database URLs, hosts, ports…) taken from
the target's own overlay instead. The result is checked like any file before anything
is written; a pair of files written for different schema major versions is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from accord.config.declare import field_specs, schema_version, sections
from accord.config.errors import ConfigError, Problem
from accord.config.files import Layout, TomlFile, read_toml
from accord.config.load import check_file
from accord.config.toml_out import dumps

__all__ = ["Promotion", "plan"]


@dataclass(frozen=True)
class Promotion:
    """What promoting one service would write: the target file and its new text."""

    service: str
    path: Path
    text: str
    changed: bool


def plan(cls: type[msgspec.Struct], service: str, source: Layout, target: Layout) -> Promotion:
    """The target's new overlay for ``service``; :class:`ConfigError` when it would not
    validate or the two files are written for different schema majors."""
    specs = field_specs(cls, service)
    major = int(schema_version(cls).split(".")[0])
    given = _read(source.env_file(service))
    kept = _read(target.env_file(service))
    # A file without a #:schema line is taken to be written for the code's major.
    for toml in (given, kept):
        if toml is not None and toml.major is not None and toml.major != major:
            raise ConfigError(
                [Problem(str(toml.path), 1, "", f"written for schema v{toml.major}, not v{major}")]
            )
    values = {k: v for k, v in _flat(given, cls).items() if k in specs and not specs[k].pinned}
    values.update({k: v for k, v in _flat(kept, cls).items() if k in specs and specs[k].pinned})
    ordered = {k: values[k] for k in specs if k in values}
    header = (
        f"#:schema ../schemas/{service}.v{major}.json\n"
        f"# {service} in {target.env}: promoted from {source.env}; pinned keys kept.\n"
    )
    text = dumps(_nest(ordered), header=header)
    path = target.env_file(service)
    problems = check_file(cls, service, read_toml(path, text))
    if problems:
        raise ConfigError(problems)
    old = path.read_text(encoding="utf-8") if path.exists() else None
    return Promotion(service, path, text, changed=old != text)


def _read(path: Path) -> TomlFile | None:
    return read_toml(path) if path.exists() else None


def _flat(toml: TomlFile | None, cls: type[msgspec.Struct]) -> dict[str, Any]:
    if toml is None:
        return {}
    nested = sections(cls)
    out: dict[str, Any] = {}

    def walk(data: Mapping[str, Any], prefix: str) -> None:
        for name, value in data.items():
            key = prefix + name
            if key in nested and isinstance(value, dict):
                walk(value, key + ".")
            else:
                out[key] = value

    walk(toml.data, "")
    return out


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for key, value in flat.items():
        node = tree
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree
