"""The audit trail a process writes to: events in, chained records out, off the event loop.

::

    trail = AuditTrail.under(home, "orders")        # <home>/audit/orders.jsonl
    trail.record("auth.token_refused", actor="unknown", target="POST /orders",
                 outcome="refused", details={"reason": "the token has expired"})

:meth:`AuditTrail.record` only queues the event (it never waits for the disk); one
writer thread appends queued events in order. :meth:`AuditTrail.close` (also run at
interpreter exit) writes what is queued before it returns, so a clean shutdown loses no
record. The trail is a port: code that reports events depends on :class:`AuditSink`,
and a composition root decides where records go.
"""

from __future__ import annotations

import atexit
import getpass
import logging
import os
import queue
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from accord.audit.file import AuditFile
from accord.audit.record import scrub, utc_now

__all__ = ["AUDIT_DIR", "AuditSink", "AuditTrail", "NullAudit", "operator"]

#: The folder under the project home that holds the audit files.
AUDIT_DIR = "audit"

_log = logging.getLogger("accord.audit")
_STOP = object()


class AuditSink(Protocol):
    """Where security-relevant events go (a port: implemented by :class:`AuditTrail`)."""

    def record(
        self,
        action: str,
        *,
        actor: str,
        target: str,
        outcome: str,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Report one event; returns at once. ``details`` must carry no secret."""
        ...


class NullAudit:
    """An :class:`AuditSink` that records nothing (auditing switched off)."""

    def record(
        self,
        action: str,
        *,
        actor: str,
        target: str,
        outcome: str,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Drop the event."""


def operator() -> str:
    """The actor of a command run by hand: ``operator:<OS user>``."""
    try:
        return f"operator:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"operator:uid{os.getuid()}"


class AuditTrail:
    """Chained audit records appended to one file by a writer thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = AuditFile(path)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    @classmethod
    def under(cls, home: Path | str, name: str) -> AuditTrail:
        """The trail ``<home>/audit/<name>.jsonl``."""
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"an audit trail needs a plain file name, not {name!r}")
        return cls(Path(home) / AUDIT_DIR / f"{name}.jsonl")

    def record(
        self,
        action: str,
        *,
        actor: str,
        target: str,
        outcome: str,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Queue one event for the writer thread (see :class:`AuditSink`)."""
        event = {
            "time": utc_now(),
            "actor": actor,
            "action": action,
            "target": target,
            "outcome": outcome,
            "details": scrub(details or {}),
        }
        with self._guard:
            if self._closed:
                self._file.append(event)  # after close (at exit): write it here
                return
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._write, name=f"audit:{self.path.name}", daemon=True
                )
                self._thread.start()
                atexit.register(self.close)
            self._queue.put(event)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every event queued so far is written; False on timeout."""
        with self._guard:
            if self._closed or self._thread is None:
                return True
            done = threading.Event()
            self._queue.put(done)
        return done.wait(timeout)

    def close(self) -> None:
        """Write every queued event, then stop the writer thread."""
        with self._guard:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(_STOP)
            thread.join()

    def _write(self) -> None:
        while True:
            event = self._queue.get()
            if event is _STOP:
                return
            if isinstance(event, threading.Event):
                event.set()
                continue
            try:
                self._file.append(event)
            except OSError as exc:  # never take the service down; say so loudly
                _log.error("audit record not written to %s: %s", self.path, exc)
