"""The effective settings of a service: defaults ← base file ← environment file ← variables.

:func:`load` reads both files of a service, checks every key against the settings class
(unknown keys, types, constraints, literal secrets: every problem, with its file and
line), overlays the environment variables each field names, and builds one frozen
settings object. It also says where each value came from (``default``, a file and
line, or ``env NAME``) and hashes the result.
"""

from __future__ import annotations

import hashlib
import re
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import msgspec

from accord.config.declare import SECRET_PATTERN, FieldSpec, field_specs, schema_version, sections
from accord.config.errors import ConfigError, Problem
from accord.config.files import Layout, TomlFile, read_toml
from accord.switches import parse_switch

__all__ = ["DEFAULT", "Loaded", "check_file", "from_environment", "load", "values_of"]

S = TypeVar("S", bound=msgspec.Struct)

#: The source of a value nobody set.
DEFAULT = "default"
_SECRET = re.compile(SECRET_PATTERN)
_AT = re.compile(r" - at `\$\.?([^`]*)`$")
_UNKNOWN = re.compile(r"unknown field `([^`]+)`")


@dataclass(frozen=True)
class Loaded(Generic[S]):
    """Settings as loaded: the object, each key's source, the files read, a hash."""

    settings: S
    sources: dict[str, str]
    files: tuple[Path, ...]
    hash: str
    version: str
    env: str
    specs: dict[str, FieldSpec] = field(repr=False, default_factory=dict)


def load(
    cls: type[S], service: str, layout: Layout | None, environ: Mapping[str, str]
) -> Loaded[S]:
    """The effective settings of ``service`` in ``layout``'s environment (``None``: no
    files, the defaults and the variables only).

    Raises :class:`ConfigError` with every problem found.
    """
    if layout is not None:
        layout.check()
    specs = field_specs(cls, service)
    problems: list[Problem] = []
    flat: dict[str, Any] = {}
    sources: dict[str, str] = {}
    read: list[Path] = []
    for path in layout.files(service) if layout is not None else ():
        if not path.exists():
            continue
        try:
            toml = read_toml(path)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        read.append(path)
        problems.extend(check_file(cls, service, toml))
        for key, value in _flatten(toml.data, "", cls):
            if key in specs:
                flat[key] = value
                sources[key] = f"{path}:{toml.line(key)}"
    for spec in specs.values():
        for name in spec.env:
            raw = environ.get(name, "").strip()
            if not raw:
                continue
            try:
                flat[spec.key] = _from_variable(raw, spec)
            except ValueError as exc:
                problems.append(Problem(f"${name}", 0, spec.key, str(exc)))
            sources[spec.key] = f"env {name}"
            break
    if problems:
        raise ConfigError(problems)
    settings = _build(cls, flat, sources)
    return Loaded(
        settings=settings,
        sources={k: sources.get(k, DEFAULT) for k in specs},
        files=tuple(read),
        hash=digest(settings),
        version=schema_version(cls),
        env=layout.env if layout is not None else "",
        specs=specs,
    )


def from_environment(cls: type[S], service: str, environ: Mapping[str, str]) -> S:
    """The settings of ``service`` from its fields' defaults and ``environ`` alone."""
    return load(cls, service, None, environ).settings


def digest(settings: msgspec.Struct) -> str:
    """A short hash of the settings' values (16 hex digits of SHA-256)."""
    return hashlib.sha256(msgspec.json.encode(settings)).hexdigest()[:16]


def check_file(cls: type[msgspec.Struct], service: str, toml: TomlFile) -> list[Problem]:
    """Every problem of one file on its own: unknown keys, types, ranges, literal secrets,
    a ``#:schema`` line naming another major version."""
    specs = field_specs(cls, service)
    problems: list[Problem] = []
    where = str(toml.path)
    major = int(schema_version(cls).split(".")[0])
    if toml.major is not None and toml.major != major:
        message = f"written for schema v{toml.major}; the code's is v{major}"
        problems.append(Problem(where, 1, "", message))
    for key, value in _flatten(toml.data, "", cls):
        spec = specs.get(key)
        if spec is None:
            problems.append(Problem(where, toml.line(key), key, "unknown key"))
            continue
        if spec.secret and value and not (isinstance(value, str) and _SECRET.match(value)):
            problems.append(
                Problem(
                    where,
                    toml.line(key),
                    key,
                    "a literal secret is refused: write a reference, env:NAME or file:PATH",
                )
            )
            continue
        try:
            msgspec.convert(value, spec.type)
        except msgspec.ValidationError as exc:
            problems.append(Problem(where, toml.line(key), key, _message(exc)))
    return problems


def values_of(settings: msgspec.Struct, specs: Mapping[str, FieldSpec]) -> dict[str, Any]:
    """Each dotted key's value in ``settings``."""
    out: dict[str, Any] = {}
    for key in specs:
        value: Any = settings
        for part in key.split("."):
            value = getattr(value, part)
        out[key] = value
    return out


def _flatten(
    data: Mapping[str, Any], prefix: str, cls: type[msgspec.Struct]
) -> Iterator[tuple[str, Any]]:
    """Leaf keys of a file's data: tables descend only where the class has a section."""
    nested = sections(cls)
    for name, value in data.items():
        key = prefix + name
        if key in nested and isinstance(value, dict):
            yield from _flatten(value, key + ".", cls)
        else:
            yield key, value


def _build(cls: type[S], flat: Mapping[str, Any], sources: Mapping[str, str]) -> S:
    tree: dict[str, Any] = {}
    for key, value in flat.items():
        node = tree
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = msgspec.to_builtins(value)
    try:
        settings = msgspec.convert(tree, cls)
    except msgspec.ValidationError as exc:
        key = _key_of(exc)
        file, line = _where(sources.get(key, ""))
        raise ConfigError([Problem(file, line, key, _message(exc))]) from None
    # Values and sections may check what no single constraint says (``validate()``).
    found: list[Problem] = []
    for key, value in _parts(settings, cls):
        validate = getattr(value, "validate", None)
        if callable(validate):
            try:
                validate()
            except ValueError as exc:
                given = [s for k, s in sources.items() if k == key or k.startswith(key + ".")]
                file, line = _where(given[0] if given else "")
                found.append(Problem(file, line, key, str(exc)))
    if found:
        raise ConfigError(found)
    return settings


def _parts(settings: msgspec.Struct, cls: type[msgspec.Struct]) -> Iterator[tuple[str, Any]]:
    """Every section and every value of ``settings``, by dotted key."""
    for key in [*sections(cls), *field_specs(cls)]:
        value: Any = settings
        for part in key.split("."):
            value = getattr(value, part)
        yield key, value


def _from_variable(raw: str, spec: FieldSpec) -> Any:
    """A variable's text as the field's type; ``ValueError`` says why it cannot be."""
    base = _plain(spec.type)
    value: Any = raw
    if base is bool:
        value = parse_switch(raw)
    elif base in (int, float):
        value = msgspec.convert(raw, base, strict=False) if _number(raw) else raw
    elif base is not str:
        if raw[:1] in "{[":
            try:
                value = msgspec.json.decode(raw)
            except msgspec.DecodeError as exc:
                raise ValueError(f"not valid JSON: {exc}") from None
        elif typing.get_origin(base) in (list, tuple, frozenset):
            value = [part.strip() for part in raw.split(",") if part.strip()]
    try:
        return msgspec.convert(value, spec.type)
    except msgspec.ValidationError as exc:
        raise ValueError(_message(exc)) from None


def _number(raw: str) -> bool:
    try:
        float(raw)
    except ValueError:
        return False
    return True


def _plain(hint: Any) -> Any:
    """The type under ``Annotated`` and ``| None``."""
    while typing.get_origin(hint) is typing.Annotated:
        hint = typing.get_args(hint)[0]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return _plain(args[0])
    return hint


def _key_of(exc: msgspec.ValidationError) -> str:
    text = str(exc)
    found = _AT.search(text)
    prefix = found.group(1) if found else ""
    unknown = _UNKNOWN.search(text)
    if unknown:
        return f"{prefix}.{unknown.group(1)}" if prefix else unknown.group(1)
    return prefix


def _message(exc: msgspec.ValidationError) -> str:
    return _AT.sub("", str(exc)).replace("`", "")


def _where(source: str) -> tuple[str, int]:
    """A source (``path:line``, ``env NAME``, ``default``) as a file and a line."""
    path, _, line = source.rpartition(":")
    if path and line.isdigit():
        return path, int(line)
    return (f"${source[4:]}" if source.startswith("env ") else source), 0
