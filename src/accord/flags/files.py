"""Where flag files live, and reading and writing them whole.

One flagd flag-definition file per environment: ``<config>/<env>/flags.json``, where
``<config>`` is ``$ACCORD_CONFIG_DIR`` (default: ``config`` beside the project's
``accord.toml``) and ``<env>`` is ``$ACCORD_ENV`` (default ``dev``). An environment is a
folder of ``<config>`` holding a ``flags.json``.

A file is written only when the whole new document passes flagd's schema, through a
temporary file renamed over the old one: a running service never reads half of it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from accord.errors import AccordError
from accord.flags.schema import schema_problems

__all__ = [
    "DEFAULT_ENV",
    "FILENAME",
    "FlagFileError",
    "config_dir",
    "current_env",
    "environments",
    "flags_file",
    "read_flags",
    "write_flags",
]

#: The environment a process runs in when ``ACCORD_ENV`` says nothing.
DEFAULT_ENV = "dev"
#: The flag file's name inside an environment's folder.
FILENAME = "flags.json"


class FlagFileError(AccordError):
    """A flag file is missing, unreadable or not a valid flagd document."""


def current_env(environ: Mapping[str, str] = os.environ) -> str:
    """``$ACCORD_ENV``, else :data:`DEFAULT_ENV`."""
    return environ.get("ACCORD_ENV", "").strip() or DEFAULT_ENV


def config_dir(environ: Mapping[str, str] = os.environ, *, root: Path | None = None) -> Path:
    """``$ACCORD_CONFIG_DIR``, else ``<root>/config`` (``root``: the folder of the nearest
    ``accord.toml``, else the working directory)."""
    explicit = environ.get("ACCORD_CONFIG_DIR", "").strip()
    if explicit:
        return Path(explicit).resolve()
    if root is None:
        from accord import project  # the project file is optional for a served process

        try:
            root = project.find().parent
        except project.ProjectError:
            root = Path.cwd()
    return (root / "config").resolve()


def environments(folder: Path) -> list[str]:
    """The environments of a configuration folder: its sub-folders with a flag file."""
    if not folder.is_dir():
        return []
    return sorted(p.parent.name for p in folder.glob(f"*/{FILENAME}"))


def flags_file(folder: Path, env: str) -> Path:
    """The flag file of ``env``; raises :class:`FlagFileError` for an unknown environment."""
    known = environments(folder)
    if env not in known:
        listed = ", ".join(known) or "none"
        raise FlagFileError(f"unknown environment {env!r} in {folder} (known: {listed})")
    return folder / env / FILENAME


def read_flags(path: Path) -> dict[str, Any]:
    """The document of a flag file, checked against flagd's schema."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FlagFileError(f"{path}: no such file") from None
    except OSError as exc:
        raise FlagFileError(f"{path}: {exc.strerror}") from None
    except ValueError as exc:
        raise FlagFileError(f"{path}: not JSON: {exc}") from None
    problems = schema_problems(document)
    if problems:
        raise FlagFileError(f"{path}: {problems[0]}")
    assert isinstance(document, dict)
    return document


def write_flags(path: Path, document: dict[str, Any]) -> None:
    """Write ``document`` to ``path`` atomically, if it passes flagd's schema."""
    problems = schema_problems(document)
    if problems:
        raise FlagFileError(f"{path}: refused, {problems[0]}")
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
