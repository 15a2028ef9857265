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
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec

from accord.config.declare import setting

if TYPE_CHECKING:
    from accord.security.tls import TLSConfig

__all__ = ["ClientSettings", "LogLevel", "Observability", "TLSSettings"]

LogLevel = Literal["debug", "info", "warning", "error", "critical"]
#: A share, from 0 to 1.
Ratio = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
Percent = Annotated[float, msgspec.Meta(gt=0.0, le=100.0)]
Count = Annotated[int, msgspec.Meta(ge=1, le=10_000)]


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
    public: Annotated[
        bool,
        setting(
            "Also admit callers with no certificate (a service customers reach)",
            pinned=True,
            env="ACCORD_TLS_PUBLIC",
        ),
    ] = False

    def config(self, name: str) -> TLSConfig | None:
        """The TLS configuration of the process named ``name``; ``None`` when off."""
        from accord.security.tls import TLSConfig

        if not self.dir:
            return None
        return TLSConfig(Path(self.dir), name, frozenset(self.allow), public=self.public)


Seconds = Annotated[float, msgspec.Meta(gt=0.0, le=600.0)]


class ClientSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How a service's typed clients retry and break (``docs/clients.md``), applied live.

    Unset figures keep the client defaults (``accord.client.DEFAULT_RETRY``,
    ``DEFAULT_BREAKER``).
    """

    max_attempts: Annotated[
        int | None,
        setting("Attempts per call, the first included (1: never retry)", reloadable=True),
    ] = None
    backoff_base: Annotated[
        Seconds | None, setting("The first retry's backoff window, seconds", reloadable=True)
    ] = None
    backoff_cap: Annotated[
        Seconds | None, setting("The largest backoff window, seconds", reloadable=True)
    ] = None
    breaker_failure_rate: Annotated[
        Percent | None,
        setting("Open the breaker when this % of the window's calls failed", reloadable=True),
    ] = None
    breaker_minimum_calls: Annotated[
        Count | None, setting("Calls the window holds before rates count", reloadable=True)
    ] = None
    breaker_window: Annotated[
        Count | None, setting("The last N calls the rates are computed over", reloadable=True)
    ] = None
    breaker_open_seconds: Annotated[
        Seconds | None, setting("How long an open breaker refuses calls", reloadable=True)
    ] = None

    def retry(self) -> Any:
        """The client's retry policy with these figures."""
        from dataclasses import replace

        from accord.client import DEFAULT_RETRY

        backoff = DEFAULT_RETRY.backoff
        backoff = replace(
            backoff,
            base=self.backoff_base if self.backoff_base is not None else backoff.base,
            cap=self.backoff_cap if self.backoff_cap is not None else backoff.cap,
            max_attempts=(
                self.max_attempts if self.max_attempts is not None else backoff.max_attempts
            ),
        )
        return replace(DEFAULT_RETRY, backoff=backoff)

    def breaker(self) -> Any:
        """The client's breaker figures."""
        from dataclasses import replace

        from accord.client import DEFAULT_BREAKER

        changes: dict[str, Any] = {
            "failure_rate_threshold": self.breaker_failure_rate,
            "minimum_number_of_calls": self.breaker_minimum_calls,
            "sliding_window_size": self.breaker_window,
            "wait_duration_in_open_state": self.breaker_open_seconds,
        }
        return replace(DEFAULT_BREAKER, **{k: v for k, v in changes.items() if v is not None})

    def validate(self) -> None:
        """Raise ``ValueError`` when the figures do not make a policy (cap below base…)."""
        try:
            self.retry()
            self.breaker()
        except (TypeError, ValueError) as exc:
            raise ValueError(str(exc)) from None
