"""What an environment refuses to run with: ``config/<env>/environment.toml``.

::

    [[require]]
    key = "auth.enabled"
    equals = true
    why = "production checks every caller's token"

    [[require]]
    key = "tls.dir"
    set = true            # any non-empty value
    why = "traffic between services is mutual TLS: run accord up without --plain"

Every service with that key must satisfy it; :func:`violations` says, one line each,
which service, which key, where its value came from and why it is required.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from accord.config.errors import ConfigError, Problem
from accord.config.files import ENVIRONMENT_FILE, Layout, read_toml
from accord.config.load import Loaded, values_of

__all__ = ["Requirement", "requirements", "violations"]

_NOTHING: Any = msgspec.UNSET


class Requirement(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One key's value an environment requires."""

    key: str
    why: str
    equals: Any = _NOTHING
    set: bool = False

    def met_by(self, value: Any) -> bool:
        """Whether ``value`` satisfies the requirement."""
        if self.equals is not _NOTHING and value != self.equals:
            return False
        return not (self.set and not value)

    def wanted(self) -> str:
        """What the requirement asks for, in words."""
        return f"must be {self.equals!r}" if self.equals is not _NOTHING else "must be set"


class _File(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    require: list[Requirement] = []


def requirements(layout: Layout) -> list[Requirement]:
    """The requirements of ``layout``'s environment (none without the file)."""
    path = layout.root / layout.env / ENVIRONMENT_FILE
    if not path.exists():
        return []
    toml = read_toml(path)
    try:
        return msgspec.convert(toml.data, _File).require
    except msgspec.ValidationError as exc:
        raise ConfigError([Problem(str(path), 0, "require", str(exc))]) from None


def violations(env: str, rules: list[Requirement], loaded: Mapping[str, Loaded[Any]]) -> list[str]:
    """One line per service and key that breaks a rule of ``env``."""
    lines: list[str] = []
    for service, settings in loaded.items():
        values = values_of(settings.settings, settings.specs)
        for rule in rules:
            if rule.key not in values or rule.met_by(values[rule.key]):
                continue
            source = settings.sources.get(rule.key, "default")
            lines.append(
                f"{service}: {rule.key} = {values[rule.key]!r} (from {source}): "
                f"{env} {rule.wanted()}: {rule.why}"
            )
    return lines
