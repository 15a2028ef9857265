"""Live settings: one immutable snapshot, swapped whole, read once per request.

A running service holds its settings in a :class:`LiveSettings`. A reload builds a new
frozen settings object and :meth:`LiveSettings.swap` replaces the reference in one
assignment, so a reader sees the old object or the new one, never a mix. A request
reads one snapshot: the :meth:`LiveSettings.layer` (outermost of an app's layers) pins
the snapshot current when the request arrives, and every layer after it that reads
through :meth:`LiveSettings.get` (or a :meth:`LiveSettings.value` getter) sees that one,
even when a reload lands half-way through the request.

Settings that live outside requests (the log level, the trace sampler) follow through
:meth:`LiveSettings.subscribe`: called with each new snapshot, right after the swap.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import msgspec

from accord.contract import Operation
from accord.observability.logs import rfc3339
from accord.runtime.layers import Handler
from accord.runtime.requests import Request
from accord.runtime.responses import Response

__all__ = ["LiveSettings", "Snapshot"]

S = TypeVar("S", bound=msgspec.Struct)
T = TypeVar("T")


@dataclass(frozen=True)
class Snapshot(Generic[S]):
    """Settings as applied: the object, the schema version, its hash, when, which one."""

    settings: S
    version: str
    hash: str
    generation: int = 1
    applied_at: float = field(default_factory=time.time)
    sources: dict[str, str] = field(default_factory=dict, repr=False)

    def describe(self) -> dict[str, Any]:
        """What a log line or the admin endpoint reports."""
        return {
            "schema_version": self.version,
            "hash": self.hash,
            "generation": self.generation,
            "applied_at": rfc3339(self.applied_at),
        }


class LiveSettings(Generic[S]):
    """The settings a process runs with now (see the module docstring)."""

    def __init__(self, snapshot: Snapshot[S]) -> None:
        self._current = snapshot
        self._pinned: ContextVar[Snapshot[S] | None] = ContextVar("accord_settings", default=None)
        self._listeners: list[Callable[[S], None]] = []

    @property
    def current(self) -> Snapshot[S]:
        """The latest snapshot (not the one a request pinned)."""
        return self._current

    def snapshot(self) -> Snapshot[S]:
        """The snapshot of the request being served, else the latest."""
        pinned = self._pinned.get()
        return pinned if pinned is not None else self._current

    def get(self) -> S:
        """The settings of the request being served, else the latest."""
        pinned = self._pinned.get()
        return (pinned if pinned is not None else self._current).settings

    def value(self, pick: Callable[[S], T]) -> Callable[[], T]:
        """A getter of one value, read from the request's snapshot (for a layer)."""

        def read() -> T:
            return pick(self.get())

        return read

    def derived(self, make: Callable[[S], T]) -> Callable[[], T]:
        """A getter of a value computed from the settings once per snapshot (parsed rates,
        a lookup table), read from the request's snapshot."""
        last: list[Any] = [None, None]  # [the snapshot, its value]

        def read() -> T:
            snapshot = self.snapshot()
            if last[0] is not snapshot:
                last[1] = make(snapshot.settings)
                last[0] = snapshot
            value: T = last[1]
            return value

        return read

    def subscribe(self, listener: Callable[[S], None]) -> None:
        """Call ``listener`` with the settings of every snapshot swapped in from now on."""
        self._listeners.append(listener)

    def swap(self, snapshot: Snapshot[S], *, notify: bool = True) -> None:
        """Make ``snapshot`` current (one assignment), then tell the listeners (unless
        ``notify`` is false: :meth:`notify` then does it)."""
        self._current = snapshot
        if notify:
            self.notify()

    def notify(self) -> None:
        """Tell the listeners the current settings."""
        for listener in self._listeners:
            listener(self._current.settings)

    def layer(self) -> _Pin[S]:
        """A layer pinning one snapshot per request: list it first (outermost)."""
        return _Pin(self)


class _Pin(Generic[S]):
    __slots__ = ("_live",)

    def __init__(self, live: LiveSettings[S]) -> None:
        self._live = live

    def wrap(self, operation: Operation[Any, Any], handler: Handler) -> Handler:
        live = self._live
        pinned = live._pinned

        async def with_snapshot(request: Request) -> Response:
            token = pinned.set(live._current)
            try:
                return await handler(request)
            finally:
                pinned.reset(token)

        return with_snapshot
