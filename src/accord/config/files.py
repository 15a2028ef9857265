"""Where configuration lives, and reading its TOML files with line numbers.

::

    config/
      base/<service>.toml        every environment starts from it
      dev/<service>.toml         overlays for dev (the default), staging, prod…
      staging/<service>.toml
      prod/<service>.toml
      prod/environment.toml      what prod refuses to run with (optional)
      schemas/<service>.v1.json  the settings' JSON Schema, exported from code

The environment reaches a process as ``$ACCORD_ENV`` (default ``dev``), the folder as
``$ACCORD_CONFIG_DIR`` (default ``config`` beside the project's ``accord.toml``).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.config.errors import ConfigError, Problem

__all__ = [
    "BASE",
    "DEFAULT_ENV",
    "DIR_VARIABLE",
    "ENVIRONMENT_FILE",
    "ENV_VARIABLE",
    "Layout",
    "TomlFile",
    "read_toml",
    "schema_major",
]

#: The variable naming the environment a process runs in.
ENV_VARIABLE = "ACCORD_ENV"
#: The variable naming the configuration folder.
DIR_VARIABLE = "ACCORD_CONFIG_DIR"
DEFAULT_ENV = "dev"
#: The folder every environment overlays.
BASE = "base"
#: Folders of the configuration directory that are not environments.
NOT_ENVIRONMENTS = frozenset({BASE, "schemas"})
#: A file of an environment's folder that is not a service's.
ENVIRONMENT_FILE = "environment.toml"
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


@dataclass(frozen=True)
class Layout:
    """The configuration folder and the environment chosen in it."""

    root: Path
    env: str = DEFAULT_ENV

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, start: Path | None = None
    ) -> Layout:
        """``$ACCORD_CONFIG_DIR`` and ``$ACCORD_ENV``, else ``<project>/config`` and ``dev``."""
        environ = os.environ if environ is None else environ
        env = environ.get(ENV_VARIABLE, "").strip() or DEFAULT_ENV
        raw = environ.get(DIR_VARIABLE, "").strip()
        return cls(Path(raw) if raw else default_root(start), env)

    def environments(self) -> list[str]:
        """The environments the folder has (sorted)."""
        if not self.root.is_dir():
            return []
        return sorted(
            p.name for p in self.root.iterdir() if p.is_dir() and p.name not in NOT_ENVIRONMENTS
        )

    def check(self) -> None:
        """Raise :class:`ConfigError` when the environment is not one of the folder's."""
        if not _NAME.match(self.env) or self.env in NOT_ENVIRONMENTS:
            raise ConfigError(
                [Problem(str(self.root), 0, "", f"{self.env!r} is not an environment name")]
            )
        if self.root.is_dir() and self.env not in self.environments():
            known = ", ".join(self.environments()) or "none"
            raise ConfigError(
                [
                    Problem(
                        str(self.root), 0, "", f"unknown environment {self.env!r} (known: {known})"
                    )
                ]
            )

    def with_env(self, env: str) -> Layout:
        """The same folder, another environment."""
        return Layout(self.root, env)

    def base_file(self, service: str) -> Path:
        """``base/<service>.toml``."""
        return self.root / BASE / f"{service}.toml"

    def env_file(self, service: str) -> Path:
        """``<env>/<service>.toml``."""
        return self.root / self.env / f"{service}.toml"

    def files(self, service: str) -> tuple[Path, Path]:
        """The files of ``service``, the overlay last."""
        return self.base_file(service), self.env_file(service)

    def schemas(self) -> Path:
        """``schemas/``."""
        return self.root / "schemas"


def default_root(start: Path | None = None) -> Path:
    """``config`` beside the nearest ``accord.toml`` (else in the working folder)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "accord.toml").is_file():
            return folder / "config"
    return here / "config"


@dataclass(frozen=True)
class TomlFile:
    """A parsed TOML file: its data and the line of each dotted key."""

    path: Path
    data: dict[str, Any]
    lines: dict[str, int]
    #: The schema major the file says it is written for (``#:schema …/<name>.vN.json``).
    major: int | None = None

    def line(self, key: str) -> int:
        """The line ``key`` (or its closest enclosing table) is on; 0 when unknown."""
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key.rpartition(".")[0]
        return 0


_AT_LINE = re.compile(r"\(at line (\d+), column \d+\)")
_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_ASSIGN = re.compile(r"^\s*([A-Za-z0-9_\-\"'. ]+?)\s*=")


def read_toml(path: Path, text: str | None = None) -> TomlFile:
    """Parse ``path`` (or ``text`` read from it); :class:`ConfigError` on a syntax error.

    A file that does not end with a newline (an empty one included) is refused as
    incomplete: it is most likely being written (truncated, then filled), and what it
    holds so far may parse yet mean something else.
    """
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError([Problem(str(path), 0, "", "the file is missing")]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError([Problem(str(path), 0, "", f"cannot read: {exc}")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _AT_LINE.search(str(exc))
        message = _AT_LINE.sub("", str(exc)).strip()
        line = int(found.group(1)) if found else 0
        raise ConfigError([Problem(str(path), line, "", f"TOML syntax: {message}")]) from None
    if not text.endswith("\n"):
        last = text.count("\n") + 1
        raise ConfigError(
            [Problem(str(path), last, "", "incomplete: the file does not end with a newline")]
        )
    return TomlFile(path, data, key_lines(text), schema_major(text))


_DIRECTIVE = re.compile(r"^#:schema\s+\S*?\.v(\d+)\.json\s*$")


def schema_major(text: str) -> int | None:
    """The major version a ``#:schema ../schemas/<service>.vN.json`` first line names."""
    first = text.split("\n", 1)[0].strip()
    found = _DIRECTIVE.match(first)
    return int(found.group(1)) if found else None


def key_lines(text: str) -> dict[str, int]:
    """The line of each dotted key a TOML text assigns or opens (tables included)."""
    lines: dict[str, int] = {}
    table = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith("[["):
            continue
        header = _HEADER.match(raw)
        if header:
            table = _dotted(header.group(1))
            lines.setdefault(table, number)
            continue
        assign = _ASSIGN.match(raw)
        if assign:
            key = _dotted(assign.group(1))
            lines.setdefault(f"{table}.{key}" if table else key, number)
    return lines


def _dotted(key: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in key.split("."))
