"""The rotation schedule as settings: ``config/{base,<env>}/rotation.toml`` and variables.

Read by ``accord up``'s rotator (:class:`accord.security.rotation.Rotator`) before each
pass, so every field is reloadable; see decision 0019.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, ClassVar

import msgspec

from accord.config.declare import setting

__all__ = ["RotationSettings", "load_settings"]

logger = logging.getLogger("accord.security.rotation")


class RotationSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How often credentials rotate: ``config/{base,<env>}/rotation.toml``, then the
    variables each field names; read again before every pass (all reloadable)."""

    schema_version: ClassVar[str] = "1.0.0"

    key_period: Annotated[
        float,
        setting(
            "Seconds a next signing key is published before it signs (and between rotations)",
            reloadable=True,
            env="ACCORD_KEY_ROTATION_PERIOD",
            ge=1,
        ),
    ] = 86_400.0
    cert_lifetime: Annotated[
        float,
        setting(
            "Seconds a service certificate is valid (renewed at two thirds)",
            reloadable=True,
            env="ACCORD_CERT_LIFETIME",
            ge=3,
        ),
    ] = 86_400.0
    check_interval: Annotated[
        float,
        setting(
            "Longest sleep between two looks at the schedule, in seconds",
            reloadable=True,
            env="ACCORD_ROTATION_CHECK",
            gt=0,
        ),
    ] = 60.0

    @property
    def lifetime(self) -> timedelta:
        """``cert_lifetime`` as a :class:`~datetime.timedelta`."""
        return timedelta(seconds=self.cert_lifetime)


def load_settings(root: Path, environ: Mapping[str, str]) -> Callable[[], RotationSettings]:
    """A reader of the rotation settings of the project at ``root`` (files under its
    ``config/`` and ``environ``); a reading that fails keeps the last good one, and says
    so once."""
    from accord.config import ConfigError, Layout, load

    last: list[RotationSettings] = [RotationSettings()]
    said: list[str] = []

    def read() -> RotationSettings:
        try:
            layout = Layout.from_env(environ, start=root)
            last[0] = load(RotationSettings, "rotation", layout, environ).settings
            said.clear()
        except (ConfigError, OSError) as exc:
            text = " ".join(str(exc).split())
            if text not in said:
                said.append(text)
                logger.warning("rotation settings not read, keeping the last ones: %s", text)
        return last[0]

    return read
