"""Secrets in configuration are references, resolved when used, never written down.

A secret field holds ``env:NAME`` (the value of an environment variable) or
``file:PATH`` (the content of a file, trailing newline dropped; a relative path is taken
from the working folder). :func:`resolve` reads it; what it returns is never logged,
shown or hashed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from accord.config.errors import ConfigError, Problem

__all__ = ["MASK", "mask", "resolve"]

#: What is shown instead of a secret.
MASK = "********"


def resolve(reference: str, *, key: str = "", environ: Mapping[str, str] | None = None) -> str:
    """The secret ``reference`` points at; :class:`ConfigError` when it cannot be read."""
    environ = os.environ if environ is None else environ
    kind, _, target = reference.partition(":")
    if kind == "env" and target:
        value = environ.get(target)
        if not value:
            raise ConfigError([Problem(f"${target}", 0, key, "the secret's variable is not set")])
        return value
    if kind == "file" and target:
        try:
            return Path(target).read_text(encoding="utf-8").rstrip("\n")
        except OSError as exc:
            raise ConfigError(
                [Problem(target, 0, key, f"cannot read the secret: {exc.strerror}")]
            ) from None
    raise ConfigError([Problem("", 0, key, "a secret is a reference: env:NAME or file:PATH")])


def mask(reference: object) -> str:
    """What to show for a secret field: the mask and, when set, where it comes from."""
    return f"{MASK} ({reference})" if reference else "(not set)"
