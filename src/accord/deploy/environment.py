"""One environment's configuration of a service, read from its files for rendering.

The files are the ones the services themselves read (``docs/configuration.md``)::

    config/base/<service>.toml      every environment starts from it
    config/<env>/<service>.toml     the environment's overlay
    config/<env>/environment.toml   files of the environment that belong to no service
    config/schemas/<service>.v<N>.json   the settings' JSON Schema, when exported

They are copied as they are into the service's ``ConfigMap`` (with the files of ``base``
and of the environment that belong to no service: the environment's own constraints,
its flags); a secret in them is only a
reference (``env:NAME`` or ``file:PATH``), which the rendered pod resolves from the
service's ``Secret``. The files are checked before anything is rendered: TOML syntax,
the merged settings against the schema (when there is one), and every setting the schema
marks secret holds a reference, never a value.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import msgspec

from accord.deploy.errors import RenderError

__all__ = ["CONFIG_DIR", "DEFAULT_ENVIRONMENTS", "EnvironmentConfig", "SecretRef", "read"]

#: The configuration folder, under the project's folder.
CONFIG_DIR = Path("config")
#: The environments of a project that has no configuration folder yet.
DEFAULT_ENVIRONMENTS = ("dev", "staging", "prod")
_NOT_ENVIRONMENTS = frozenset({"base", "schemas"})
_REFERENCE = re.compile(r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$")
_SCHEMA = re.compile(r"\.v(\d+)\.json$")


@dataclass(frozen=True)
class SecretRef:
    """A secret a setting refers to: ``kind`` is ``env`` or ``file``, ``target`` the
    variable's name or the file's path."""

    key: str
    kind: str
    target: str


@dataclass(frozen=True)
class EnvironmentConfig:
    """The files of one service in one environment, and the secrets they refer to.

    ``files`` maps the path under the configuration folder (``base/orders.toml``) to its
    text, in overlay order.
    """

    service: str
    env: str
    files: dict[str, str]
    secrets: tuple[SecretRef, ...]


def environments(root: Path) -> tuple[str, ...]:
    """The environments of the project: its configuration folder's, else the defaults."""
    folder = root / CONFIG_DIR
    if not folder.is_dir():
        return DEFAULT_ENVIRONMENTS
    found = sorted(
        p.name for p in folder.iterdir() if p.is_dir() and p.name not in _NOT_ENVIRONMENTS
    )
    return tuple(found) or DEFAULT_ENVIRONMENTS


def read(
    root: Path,
    service: str,
    env: str,
    services: Sequence[str] = (),
    settings: type[msgspec.Struct] | None = None,
) -> EnvironmentConfig:
    """``service``'s configuration in ``env``; :class:`RenderError` with the first problem.

    ``services`` are every service of the project: their files are not ``service``'s.
    ``settings`` is the service's settings class (``settings`` in ``accord.toml``): when
    given, the files are loaded as the service loads them (:func:`accord.config.load`),
    every problem with its file and line; else they are checked against the exported
    schema, when there is one.
    """
    known = environments(root)
    if env not in known:
        raise RenderError(f"unknown environment {env!r} (known: {', '.join(known)})")
    folder = root / CONFIG_DIR
    files: dict[str, str] = {}
    merged: dict[str, Any] = {}
    for relative in (f"base/{service}.toml", f"{env}/{service}.toml"):
        path = folder / relative
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise RenderError(f"{CONFIG_DIR / relative}: TOML syntax: {exc}") from None
        files[relative] = text
        _merge(merged, data)
    for shared in _shared(folder, env, {*services, service}):
        files[shared] = (folder / shared).read_text(encoding="utf-8")
    if settings is not None:
        secret_keys = _load(root, settings, service, env)
    else:
        schema = _schema(folder / "schemas", service)
        if schema is not None:
            _validate(schema, merged, service, env)
        secret_keys = _secret_keys(schema)
    secrets = tuple(_secrets(merged, "", secret_keys))
    return EnvironmentConfig(service=service, env=env, files=files, secrets=secrets)


def _shared(folder: Path, env: str, services: set[str]) -> list[str]:
    """Files of ``base/`` and ``<env>/`` that are no service's (``environment.toml``…)."""
    found = []
    for sub in ("base", env):
        if (folder / sub).is_dir():
            found += [
                f"{sub}/{p.name}"
                for p in sorted((folder / sub).iterdir())
                if p.is_file() and p.suffix in (".toml", ".json") and p.stem not in services
            ]
    return found


def _load(root: Path, settings: type[msgspec.Struct], service: str, env: str) -> set[str]:
    """Load the files as the service would (no variables); the keys that are secrets."""
    from accord.config import ConfigError, Layout, load

    try:
        loaded = load(settings, service, Layout(root / CONFIG_DIR, env), {})
    except ConfigError as exc:
        first = str(exc.problems[0]) if exc.problems else str(exc)
        raise RenderError(first.replace(f"{root}/", "")) from None
    return {key for key, spec in loaded.specs.items() if spec.secret}


def _merge(into: dict[str, Any], overlay: dict[str, Any]) -> None:
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _schema(folder: Path, service: str) -> dict[str, Any] | None:
    """The newest major version of the service's exported settings schema, if any."""
    found = [
        (int(m.group(1)), p)
        for p in folder.glob(f"{service}.v*.json")
        if (m := _SCHEMA.search(p.name)) and p.name == f"{service}.v{m.group(1)}.json"
    ]
    if not found:
        return None
    path = max(found)[1]
    try:
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RenderError(f"{path.name}: cannot read the settings schema: {exc}") from None
    return loaded


def _validate(schema: dict[str, Any], data: dict[str, Any], service: str, env: str) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path)))
    if errors:
        first = errors[0]
        key = ".".join(str(p) for p in first.path)
        message = first.message
        if first.validator == "additionalProperties":
            unknown = sorted(set(first.instance) - set(first.schema.get("properties", {})))
            key = ".".join(p for p in (key, unknown[0] if unknown else "") if p)
            message = "unknown key"
        raise RenderError(
            f"{service} in {env}: {key or '(top)'}: {message} (config/schemas/{service} says)"
        )


def _secret_keys(schema: dict[str, Any] | None, prefix: str = "") -> set[str]:
    """Dotted keys the schema marks ``x-secret``."""
    if not schema:
        return set()
    keys: set[str] = set()
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        key = prefix + name
        if sub.get("x-secret"):
            keys.add(key)
        keys |= _secret_keys(sub, key + ".")
    return keys


def _secrets(data: dict[str, Any], prefix: str, secret_keys: set[str]) -> list[SecretRef]:
    found: list[SecretRef] = []
    for name, value in data.items():
        key = prefix + name
        if isinstance(value, dict):
            found += _secrets(value, key + ".", secret_keys)
        elif isinstance(value, str) and _REFERENCE.match(value):
            kind, _, target = value.partition(":")
            found.append(SecretRef(key=key, kind=kind, target=target))
        elif key in secret_keys and value:
            raise RenderError(f"{key} is a secret and holds a value: write env:NAME or file:PATH")
    return found
