"""What a composition root does with its settings: load once, serve live, report.

::

    config = ServiceConfig.load(Settings, "orders")          # files, variables, checks
    settings, live = config.settings, config.live
    layers = [live.layer(),                                   # one snapshot per request
              LoadShedding(live.value(lambda s: s.max_in_flight)), ...]
    app = App(..., on_startup=[config.start], on_shutdown=[config.stop], layers=layers)
    config.attach(app, telemetry, log_level=lambda s: s.log_level,
                  admin_scope=lambda s: s.admin_scope, guard=auth)

:meth:`ServiceConfig.start` logs ``config_loaded`` (environment, schema version, hash,
time) and starts watching the files (:mod:`accord.config.reload`); ``GET /admin/config``
answers the same and every value with its source (secrets masked) to holders of the
admin scope the settings name.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import msgspec

from accord.audit import AuditSink, AuditTrail, NullAudit
from accord.config.declare import field_specs, schema_version
from accord.config.files import Layout
from accord.config.live import LiveSettings, Snapshot
from accord.config.load import DEFAULT, Loaded, digest, load, values_of
from accord.config.reload import Reloader
from accord.config.secrets import mask
from accord.errors import STANDARD_ERRORS, ServiceError
from accord.observability.telemetry import Telemetry
from accord.runtime.requests import Request
from accord.runtime.responses import Response
from accord.switches import OFF

__all__ = ["ADMIN_PATH", "ServiceConfig"]

S = TypeVar("S", bound=msgspec.Struct)

#: Where a service answers with its configuration.
ADMIN_PATH = "/admin/config"
_STANDARD: Mapping[str, type[ServiceError[Any]]] = {e.code: e for e in STANDARD_ERRORS}


class ServiceConfig(Generic[S]):
    """The settings of one service process (see the module docstring)."""

    def __init__(
        self,
        cls: type[S],
        service: str,
        loaded: Loaded[S],
        *,
        layout: Layout | None,
        environ: Mapping[str, str],
    ) -> None:
        self.cls = cls
        self.service = service
        self.loaded = loaded
        self.layout = layout
        self._environ = dict(environ)
        self.live: LiveSettings[S] = LiveSettings(
            Snapshot(loaded.settings, loaded.version, loaded.hash, sources=loaded.sources)
        )
        self._reloader: Reloader[S] | None = None
        self._telemetry: Telemetry | None = None

    @classmethod
    def load(
        cls,
        settings_cls: type[S],
        service: str,
        *,
        environ: Mapping[str, str] | None = None,
        layout: Layout | None = None,
    ) -> ServiceConfig[S]:
        """Load ``service``'s settings from its files and variables; watched once started.

        Raises :class:`~accord.config.errors.ConfigError` with every problem.
        """
        environ = os.environ if environ is None else environ
        layout = layout if layout is not None else Layout.from_env(environ)
        loaded = load(settings_cls, service, layout, environ)
        return cls(settings_cls, service, loaded, layout=layout, environ=environ)

    @classmethod
    def of(cls, settings_cls: type[S], service: str, given: S | None) -> ServiceConfig[S]:
        """``given`` settings as they are, else the service's files and variables."""
        return cls.load(settings_cls, service) if given is None else cls.fixed(given, service)

    @classmethod
    def fixed(cls, settings: S, service: str) -> ServiceConfig[S]:
        """Settings given whole (a test, an embedding): no files, nothing watched."""
        specs = field_specs(type(settings), service)
        loaded = Loaded(
            settings=settings,
            sources=dict.fromkeys(specs, "given"),
            files=(),
            hash=digest(settings),
            version=schema_version(type(settings)),
            env="",
            specs=specs,
        )
        return cls(type(settings), service, loaded, layout=None, environ={})

    @property
    def settings(self) -> S:
        """The settings the process started with (build restart-only parts from these)."""
        return self.loaded.settings

    def attach(
        self,
        telemetry: Telemetry,
        *,
        log_level: Callable[[S], str] | None = None,
        sampling_ratio: Callable[[S], float | None] | None = None,
    ) -> None:
        """Report through ``telemetry``, and let the log level and trace sampling ratio
        follow the settings (applied now, and on every reload)."""
        self._telemetry = telemetry
        if self.layout is not None and self.loaded.env:
            self._reloader = Reloader(
                self.cls,
                self.service,
                self.layout,
                self._environ,
                self.live,
                self.loaded,
                logger=telemetry.logger,
                registry=telemetry.metrics.registry,
                audit=_audit(self.service, self._environ),
            )

        def follow(settings: S) -> None:
            if log_level is not None:
                telemetry.set_log_level(log_level(settings))
            if sampling_ratio is not None:
                telemetry.set_sampling_ratio(sampling_ratio(settings))

        follow(self.settings)
        self.live.subscribe(follow)

    @property
    def reloader(self) -> Reloader[S] | None:
        """What reloads the files (``None`` for :meth:`fixed` settings)."""
        return self._reloader

    async def start(self) -> None:
        """Log the configuration and start watching its files (a start-up hook)."""
        if self._telemetry is not None:
            self._telemetry.logger.info(
                "config_loaded",
                env=self.loaded.env,
                files=[str(p) for p in self.loaded.files],
                **self.live.current.describe(),
            )
        if self._reloader is not None:
            await self._reloader.start()

    async def stop(self) -> None:
        """Stop watching (a shutdown hook)."""
        if self._reloader is not None:
            await self._reloader.stop()

    def report(self) -> dict[str, Any]:
        """The running configuration: version, hash, time, each value and its source."""
        snapshot = self.live.current
        specs = self.loaded.specs
        values = values_of(snapshot.settings, specs)
        shown = {
            key: mask(value) if specs[key].secret else msgspec.to_builtins(value)
            for key, value in values.items()
        }
        return {
            "service": self.service,
            "env": self.loaded.env,
            **snapshot.describe(),
            "values": shown,
            "sources": {key: snapshot.sources.get(key, DEFAULT) for key in specs},
        }

    def admin_handler(self) -> Any:
        """The handler of ``GET /admin/config`` (wrap it in the admin scope's guard)."""
        return _AdminConfig(self)


class _AdminConfig:
    __slots__ = ("_config", "errors")

    def __init__(self, config: ServiceConfig[Any]) -> None:
        self._config = config
        self.errors = _STANDARD

    async def __call__(self, _: Request) -> Response:
        return Response(200, msgspec.json.encode(self._config.report()))


def _audit(service: str, environ: Mapping[str, str]) -> AuditSink:
    """The service's audit trail (``<ACCORD_HOME>/audit/<service>.jsonl``) unless
    ``ACCORD_AUDIT`` is off (a value that is no switch at all leaves it on: the runtime's
    auth settings refuse it, with the variable's name)."""
    if environ.get("ACCORD_AUDIT", "").strip().lower() in OFF:
        return NullAudit()
    return AuditTrail.under(environ.get("ACCORD_HOME") or ".accord", service)
