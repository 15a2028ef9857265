"""Sections of settings every service of a system tends to have, ready to declare.

::

    class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
        observability: Annotated[Observability, section("Logs and traces")] = msgspec.field(
            default_factory=Observability)
        tls: Annotated[TLSSettings, section("Mutual TLS between services")] = msgspec.field(
            default_factory=TLSSettings)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import msgspec

from accord.config.declare import setting

if TYPE_CHECKING:
    from accord.security.tls import TLSConfig

__all__ = ["LogLevel", "Observability", "TLSSettings"]

LogLevel = Literal["debug", "info", "warning", "error", "critical"]
#: A share, from 0 to 1.
Ratio = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]


class Observability(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The log level and the share of traces sampled, both applied live."""

    log_level: Annotated[
        LogLevel,
        setting("The lowest level of log line written", reloadable=True, env="ACCORD_LOG_LEVEL"),
    ] = "info"
    trace_sampling_ratio: Annotated[
        Ratio | None,
        setting(
            "Share of new traces sampled, parent-based (unset: as OTEL_TRACES_SAMPLER says)",
            reloadable=True,
        ),
    ] = None


class TLSSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Mutual TLS between services: on when ``dir`` names a certificate folder."""

    dir: Annotated[
        str,
        setting(
            "Certificate folder; set, the service serves and calls over mutual TLS",
            pinned=True,
            env="ACCORD_TLS_DIR",
        ),
    ] = ""
    allow: Annotated[
        list[str],
        setting(
            "Services or SPIFFE ids allowed to call (empty: any of the trust domain)",
            pinned=True,
            env="ACCORD_TLS_ALLOW",
        ),
    ] = []

    def config(self, name: str) -> TLSConfig | None:
        """The TLS configuration of the process named ``name``; ``None`` when off."""
        from accord.security.tls import TLSConfig

        if not self.dir:
            return None
        return TLSConfig(Path(self.dir), name, frozenset(self.allow))
