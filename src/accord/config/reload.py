"""Reloading a running service's settings when its files change.

A :class:`Reloader` watches the two files of its service (``base/<service>.toml`` and
``<env>/<service>.toml``) with watchfiles. On a change it reads both again and:

- refuses a file that does not parse, is invalid, is half-written (no final newline) or
  was deleted: one ``config_rejected`` warning line; the running settings stay;
- refuses a change to a field that is not reloadable: one ``config_restart_required``
  warning line naming the keys; nothing of the change is applied;
- otherwise swaps the new snapshot in at once (:class:`~accord.config.live.LiveSettings`)
  and writes one ``config_applied`` line with the changed keys, the schema version, the
  hash and the time.

Each outcome counts in ``accord_config_reloads_total{result}``, and goes to the audit
trail when one is given (``config.applied``, ``config.rejected``,
``config.restart_required``: the keys and hashes, never a value; docs/audit.md). Rolling back is
reverting the file: the reverted content is reloaded like any other change.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

import msgspec
from prometheus_client import CollectorRegistry, Counter

from accord.audit import AuditSink, NullAudit
from accord.config.errors import ConfigError
from accord.config.files import Layout
from accord.config.live import LiveSettings, Snapshot
from accord.config.load import Loaded, load, values_of

__all__ = ["APPLIED", "REJECTED", "RESTART_REQUIRED", "UNCHANGED", "Reloader"]

S = TypeVar("S", bound=msgspec.Struct)

APPLIED = "applied"
REJECTED = "rejected"
RESTART_REQUIRED = "restart_required"
#: The files changed but the settings did not (a comment, a reordering): nothing logged.
UNCHANGED = "unchanged"


class Reloader(Generic[S]):
    """Reloads ``live`` from ``service``'s files in ``layout`` (see the module docstring).

    ``logger`` is the service's structured logger; ``registry`` the Prometheus registry
    its ``/metrics`` renders; ``audit`` the trail its outcomes are recorded in.
    """

    def __init__(
        self,
        cls: type[S],
        service: str,
        layout: Layout,
        environ: Mapping[str, str],
        live: LiveSettings[S],
        loaded: Loaded[S],
        *,
        logger: Any,
        registry: CollectorRegistry | None = None,
        audit: AuditSink | None = None,
    ) -> None:
        self._audit: AuditSink = audit if audit is not None else NullAudit()
        self._cls = cls
        self._service = service
        self._layout = layout
        self._environ = dict(environ)
        self._live = live
        self._files = loaded.files
        self._specs = loaded.specs
        self._logger = logger
        self._counter = Counter(
            "accord_config_reloads",
            "Configuration changes seen by the service, by outcome.",
            ("result",),
            registry=registry,
        )
        for result in (APPLIED, REJECTED, RESTART_REQUIRED):
            self._counter.labels(result)
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    def reload(self) -> str:
        """Read the files again and apply, refuse or report them; the outcome."""
        missing = [p for p in self._files if not p.exists()]
        if missing:
            return self._reject(str(missing[0]), 0, "", "the file was deleted")
        try:
            loaded = load(self._cls, self._service, self._layout, self._environ)
        except ConfigError as exc:
            first = exc.problems[0]
            return self._reject(
                first.file, first.line, first.key, first.message, more=len(exc.problems) - 1
            )
        running = self._live.current
        old = values_of(running.settings, self._specs)
        new = values_of(loaded.settings, self._specs)
        changed = [key for key in self._specs if old[key] != new[key]]
        if not changed:
            self._files = loaded.files
            return UNCHANGED
        fixed = [key for key in changed if not self._specs[key].reloadable]
        if fixed:
            self._counter.labels(RESTART_REQUIRED).inc()
            self._logger.warning(
                "config_restart_required",
                keys=fixed,
                reason=f"restart required: {', '.join(fixed)} cannot change while running; "
                "nothing of this change was applied",
                running_hash=running.hash,
            )
            self._record("config.restart_required", "refused", keys=fixed, hash=running.hash)
            return RESTART_REQUIRED
        snapshot = Snapshot(
            loaded.settings,
            loaded.version,
            loaded.hash,
            generation=running.generation + 1,
            sources=loaded.sources,
        )
        self._live.swap(snapshot, notify=False)
        self._files = loaded.files
        self._counter.labels(APPLIED).inc()
        # Logged before the listeners run: a new log level applies to the lines after it.
        self._logger.info("config_applied", changed=changed, env=loaded.env, **snapshot.describe())
        self._live.notify()
        self._record(
            "config.applied", "success", keys=changed, old_hash=running.hash, new_hash=loaded.hash
        )
        return APPLIED

    def _reject(self, file: str, line: int, key: str, message: str, *, more: int = 0) -> str:
        self._counter.labels(REJECTED).inc()
        self._logger.warning(
            "config_rejected",
            file=file,
            line=line,
            key=key,
            reason=message + (f" (and {more} more problem(s))" if more else ""),
            running_hash=self._live.current.hash,
        )
        self._record(
            "config.rejected",
            "refused",
            file=file,
            line=line,
            key=key,
            reason=message,
            hash=self._live.current.hash,
        )
        return REJECTED

    def _record(self, action: str, outcome: str, **details: Any) -> None:
        # Who edited the file is not known to the service: the actor stays unknown.
        self._audit.record(
            action, actor="unknown", target=self._service, outcome=outcome, details=details
        )

    # -- watching ------------------------------------------------------------------

    async def start(self) -> None:
        """Start watching (an app's start-up hook)."""
        if self._task is None:
            self._stop.clear()
            self._task = asyncio.get_running_loop().create_task(self._watch())

    async def stop(self) -> None:
        """Stop watching (an app's shutdown hook)."""
        self._stop.set()
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _watch(self) -> None:
        from watchfiles import awatch

        # watchfiles reports paths under the folders as given: give them resolved.
        paths = [p.parent.resolve() / p.name for p in self._layout.files(self._service)]
        files = {str(p) for p in paths}
        folders = sorted({str(p.parent) for p in paths if p.parent.is_dir()})
        if not folders:
            return
        async for changes in awatch(
            *folders, stop_event=self._stop, debounce=400, step=20, recursive=False
        ):
            if any(path in files for _, path in changes):
                try:
                    self.reload()
                except Exception as exc:  # a reload must never stop the watching
                    self._logger.error("config_reload_failed", exc_info=exc)
