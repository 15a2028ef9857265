"""Feature flags: declared in code, defined per environment, evaluated through OpenFeature.

::

    from accord.flags import Flag, Flags, FlagSettings

    PAUSE_ORDERS = Flag.boolean("pause-orders", default=False, description="…",
                                owner="orders-team", expires=date(2027, 6, 30))

    flags = Flags.open(FlagSettings.from_env(), service="orders", version="2.1.0",
                       telemetry=telemetry)
    if flags.value(PAUSE_ORDERS): ...

Definitions live in flagd's JSON format, one file per environment
(``config/<env>/flags.json``), evaluated in-process by flagd's OpenFeature provider and
reloaded when the file changes. ``accord flags check|list|set|rollout`` read and edit
them. See ``docs/flags.md``.

The names below load on first use: reading a flag file (the console does) loads
neither OpenFeature nor the service runtime.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord._lazy import exports

if TYPE_CHECKING:
    from accord.flags.check import Finding, check_flags
    from accord.flags.client import Flags
    from accord.flags.declare import Flag, FlagKind, FlagValue
    from accord.flags.files import FlagFileError, read_flags, write_flags
    from accord.flags.observe import EvaluationTelemetry
    from accord.flags.source import FlagSettings, FlagSettingsError

__all__ = [
    "EvaluationTelemetry",
    "Finding",
    "Flag",
    "FlagFileError",
    "FlagKind",
    "FlagSettings",
    "FlagSettingsError",
    "FlagValue",
    "Flags",
    "check_flags",
    "read_flags",
    "write_flags",
]

_WHERE = {
    "EvaluationTelemetry": "accord.flags.observe",
    "Finding": "accord.flags.check",
    "Flag": "accord.flags.declare",
    "FlagFileError": "accord.flags.files",
    "FlagKind": "accord.flags.declare",
    "FlagSettings": "accord.flags.source",
    "FlagSettingsError": "accord.flags.source",
    "FlagValue": "accord.flags.declare",
    "Flags": "accord.flags.client",
    "check_flags": "accord.flags.check",
    "read_flags": "accord.flags.files",
    "write_flags": "accord.flags.files",
}


__getattr__ = exports(__name__, _WHERE)
