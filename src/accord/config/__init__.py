"""Configuration as code: settings declared in Python, files per environment, live reloads.

- :mod:`~accord.config.declare`: a service's settings are a msgspec struct with a
  ``schema_version``; each field says its default, constraints, description and whether
  it is reloadable, pinned to one environment, or a secret (:func:`setting`).
- :mod:`~accord.config.files` and :mod:`~accord.config.load`: the effective settings are
  field defaults ← ``config/base/<service>.toml`` ← ``config/<env>/<service>.toml`` ←
  environment variables, with the source of every value.
- :mod:`~accord.config.schema`: the JSON Schema 2020-12 of a settings class, and the
  comparison that says whether a change breaks the files written for it.
- :mod:`~accord.config.live`, :mod:`~accord.config.reload`, :mod:`~accord.config.service`:
  a running service swaps one immutable snapshot when its files change.
- :mod:`~accord.config.promote`: writing one environment's values into another's files.

See ``docs/configuration.md``.
"""

from __future__ import annotations

from accord._lazy import exports
from accord.config.declare import FieldSpec, field_specs, schema_version, section, setting
from accord.config.errors import ConfigError, Problem
from accord.config.files import DIR_VARIABLE, ENV_VARIABLE, Layout
from accord.config.load import Loaded, load
from accord.config.sections import Observability, TLSSettings

__all__ = [
    "DIR_VARIABLE",
    "ENV_VARIABLE",
    "ConfigError",
    "FieldSpec",
    "Layout",
    "LiveSettings",
    "Loaded",
    "Observability",
    "Problem",
    "ServiceConfig",
    "Snapshot",
    "TLSSettings",
    "field_specs",
    "load",
    "schema_version",
    "section",
    "setting",
]

# These import the runtime, which imports this package's declarations: loaded on use.
_LAZY = {
    "LiveSettings": "accord.config.live",
    "Snapshot": "accord.config.live",
    "ServiceConfig": "accord.config.service",
}


__getattr__ = exports(__name__, _LAZY)
