"""Where a service's flags come from: a file evaluated in-process, or a flagd server.

``ACCORD_FLAGS_PROVIDER`` chooses (read once, by :meth:`FlagSettings.from_env`):

=============================  ============================================================
value                          flags are
=============================  ============================================================
``file`` (the default)         read from ``<config>/<env>/flags.json`` (or
                               ``$ACCORD_FLAGS_FILE``) and evaluated in-process by flagd's
                               evaluator (:mod:`accord.flags.file_provider`); the file is
                               polled every
                               ``$ACCORD_FLAGS_POLL_MS`` (default 500) and reloaded when it
                               changes
``flagd://HOST:PORT``          evaluated by a flagd daemon, one gRPC call each
``flagd+sync://HOST:PORT``     synced from a flagd daemon's sync stream, evaluated
                               in-process
``none``                       nowhere: every flag takes its declared default (what a
                               ``FlagSettings()`` built in code means, for tests)
``module:factory``             whatever OpenFeature provider ``factory()`` returns (an OFREP
                               provider, for one, from ``openfeature-provider-ofrep``)
=============================  ============================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import msgspec
from openfeature.provider import FeatureProvider

from accord.errors import AccordError
from accord.flags.files import FILENAME, config_dir, current_env

__all__ = ["DEFAULT_POLL_MS", "FlagSettings", "FlagSettingsError"]

#: How often, in milliseconds, the file provider looks at the file's modification time.
DEFAULT_POLL_MS = 500


class FlagSettingsError(AccordError):
    """A flag setting has a value no provider can be built from."""


class FlagSettings(msgspec.Struct, frozen=True, kw_only=True):
    """How a service reaches its flags (see the module docstring)."""

    provider: str = "none"
    path: str = ""
    poll_ms: int = DEFAULT_POLL_MS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> FlagSettings:
        """``ACCORD_FLAGS_PROVIDER``, ``ACCORD_FLAGS_FILE`` (default
        ``<ACCORD_CONFIG_DIR>/<ACCORD_ENV>/flags.json``) and ``ACCORD_FLAGS_POLL_MS``."""
        raw_poll = environ.get("ACCORD_FLAGS_POLL_MS", "").strip() or str(DEFAULT_POLL_MS)
        if not raw_poll.isdigit() or not 10 <= int(raw_poll) <= 60_000:
            raise FlagSettingsError(
                f"ACCORD_FLAGS_POLL_MS must be milliseconds from 10 to 60000, not {raw_poll!r}"
            )
        path = environ.get("ACCORD_FLAGS_FILE", "").strip() or str(
            config_dir(environ) / current_env(environ) / FILENAME
        )
        return cls(
            provider=environ.get("ACCORD_FLAGS_PROVIDER", "").strip() or "file",
            path=path,
            poll_ms=int(raw_poll),
        )

    def build(self) -> FeatureProvider:
        """The OpenFeature provider these settings describe."""
        if self.provider == "none":
            from openfeature.provider.no_op_provider import NoOpProvider

            return NoOpProvider()
        if self.provider == "file":
            from accord.flags.file_provider import FileProvider

            return FileProvider(str(Path(self.path)), poll_ms=self.poll_ms)
        parts = urlsplit(self.provider)
        if parts.scheme in ("flagd", "flagd+sync"):
            # flagd's own provider (and gRPC) only for a flagd server.
            from openfeature.contrib.provider.flagd import FlagdProvider
            from openfeature.contrib.provider.flagd.config import ResolverType

            if not parts.hostname or not parts.port:
                raise FlagSettingsError(f"{self.provider!r} needs a host and a port")
            resolver = ResolverType.RPC if parts.scheme == "flagd" else ResolverType.IN_PROCESS
            return FlagdProvider(host=parts.hostname, port=parts.port, resolver_type=resolver)
        if ":" in self.provider and "/" not in self.provider:
            from accord.project import ProjectError, import_object

            try:
                factory = import_object(self.provider)
            except ProjectError as exc:
                raise FlagSettingsError(f"ACCORD_FLAGS_PROVIDER: {exc}") from None
            provider: FeatureProvider = factory()
            return provider
        raise FlagSettingsError(
            f"ACCORD_FLAGS_PROVIDER={self.provider!r} is not 'file', 'none', flagd://HOST:PORT, "
            "flagd+sync://HOST:PORT or module:factory"
        )
