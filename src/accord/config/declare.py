"""Declaring settings: one annotation per field says what it is and how it may change.

::

    class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
        schema_version: ClassVar[str] = "1.2.0"

        database_url: Annotated[str, setting("Where orders keeps its data", pinned=True,
                                             env="ORDERS_DATABASE_URL")] = ""
        max_in_flight: Annotated[int, setting("Requests served at once", reloadable=True,
                                              ge=1, env=("{SERVICE}_MAX_IN_FLIGHT",))] = 512
        auth: Annotated[AuthSettings, section("How callers' tokens are checked")] = ...

Every field has a default, a one-line description and constraints (msgspec's ``ge``,
``le``, ``pattern``…). Flags:

- ``reloadable``: applied to a running service when its file changes; any other field
  needs a restart;
- ``pinned``: belongs to one environment (database URLs, hosts, ports) and is never
  promoted from another;
- ``secret``: the value is a reference, ``env:NAME`` or ``file:PATH``, never the secret.

``env`` names the environment variables that override the field (``{SERVICE}`` is the
service's name in capitals). A field whose type is a struct of its own fields is a
``section``: its fields are keys ``section.field``.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import msgspec

__all__ = [
    "SECRET_PATTERN",
    "FieldSpec",
    "field_specs",
    "schema_version",
    "section",
    "sections",
    "setting",
]

#: What a secret's value must look like: a reference, never the secret itself.
SECRET_PATTERN = r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$"  # noqa: S105 - a pattern
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_KEY = "accord"


def setting(
    description: str,
    *,
    reloadable: bool = False,
    pinned: bool = False,
    secret: bool = False,
    env: str | tuple[str, ...] = (),
    **constraints: Any,
) -> msgspec.Meta:
    """The annotation of one setting (see the module docstring)."""
    if not description or "\n" in description:
        raise ValueError("a setting needs a one-line description")
    names = (env,) if isinstance(env, str) else tuple(env)
    schema: dict[str, Any] = {"x-reloadable": reloadable}
    if pinned:
        schema["x-pinned"] = True
    if secret:
        schema["x-secret"] = True
        constraints.setdefault("pattern", SECRET_PATTERN)
    if names:
        schema["x-env"] = list(names)
    flags = {"reloadable": reloadable, "pinned": pinned, "secret": secret, "env": names}
    return msgspec.Meta(
        description=description, extra_json_schema=schema, extra={_KEY: flags}, **constraints
    )


def section(description: str) -> msgspec.Meta:
    """The annotation of a field that is a struct of settings of its own."""
    return msgspec.Meta(description=description, extra={_KEY: {"section": True}})


@dataclass(frozen=True)
class FieldSpec:
    """One setting: its dotted key, type (with constraints), default and flags."""

    key: str
    type: Any
    default: Any
    description: str
    reloadable: bool
    pinned: bool
    secret: bool
    env: tuple[str, ...]


def schema_version(cls: type) -> str:
    """The ``schema_version`` a settings class declares (semver ``MAJOR.MINOR.PATCH``)."""
    version = getattr(cls, "schema_version", None)
    if not isinstance(version, str) or not _SEMVER.match(version):
        raise TypeError(f"{cls.__name__}.schema_version must be MAJOR.MINOR.PATCH, not {version!r}")
    return version


def field_specs(cls: type[msgspec.Struct], service: str = "") -> dict[str, FieldSpec]:
    """Every setting of ``cls`` by dotted key, sections flattened, in declaration order.

    Raises ``TypeError`` for a field declared without :func:`setting` or :func:`section`.
    """
    return {spec.key: spec for spec in _walk(cls, "", service.upper().replace("-", "_"))}


def sections(cls: type[msgspec.Struct]) -> dict[str, type[msgspec.Struct]]:
    """The sections of ``cls`` (dotted key → struct type), nested ones too."""
    found: dict[str, type[msgspec.Struct]] = {}
    for field, hint, meta in _fields(cls):
        if meta.get("section"):
            inner = typing.get_args(hint)[0]
            found[field.name] = inner
            found.update({f"{field.name}.{k}": v for k, v in sections(inner).items()})
    return found


def _fields(cls: type[msgspec.Struct]) -> Iterator[tuple[Any, Any, dict[str, Any]]]:
    hints = typing.get_type_hints(cls, include_extras=True)
    for field in msgspec.structs.fields(cls):
        hint = hints[field.name]
        metas = [m for m in typing.get_args(hint)[1:] if isinstance(m, msgspec.Meta)]
        flags = next((m.extra[_KEY] for m in metas if m.extra and _KEY in m.extra), None)
        if flags is None:
            raise TypeError(f"{cls.__name__}.{field.name} is declared without setting(...)")
        yield field, hint, flags


def _walk(cls: type[msgspec.Struct], prefix: str, service: str) -> Iterator[FieldSpec]:
    for field, hint, flags in _fields(cls):
        key = prefix + field.name
        if flags.get("section"):
            yield from _walk(typing.get_args(hint)[0], key + ".", service)
            continue
        default = (
            field.default_factory()
            if field.default_factory is not msgspec.NODEFAULT
            else field.default
        )
        meta = next(m for m in typing.get_args(hint)[1:] if isinstance(m, msgspec.Meta))
        yield FieldSpec(
            key=key,
            type=hint,
            default=default,
            description=meta.description or "",
            reloadable=flags["reloadable"],
            pinned=flags["pinned"],
            secret=flags["secret"],
            env=tuple(name.replace("{SERVICE}", service) for name in flags["env"]),
        )
