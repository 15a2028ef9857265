"""SQLite's WAL checkpoints, run beside the event loop instead of inside a commit.

In WAL mode a commit appends pages to the ``-wal`` file; a *checkpoint* copies them
back into the database file and syncs both (``fdatasync`` twice: 1 to 10 ms each on an
ordinary disk). By default SQLite checkpoints inside the commit that takes the WAL
past a thousand pages. Statements and commits of :mod:`accord.sql.sqlite_loop` run on
the event loop, so that commit stopped the whole service: on the shop's order path at
sixteen clients, each service did so twice a second, and every request in flight
waited out the copy and the syncs.

:class:`Checkpointer` moves that work to a thread of its own, on its own connection: it
wakes every :data:`CHECKPOINT_INTERVAL_S`, and when the WAL was written since its last
pass, runs ``PRAGMA wal_checkpoint(PASSIVE)``: it copies what no reader still needs and
never blocks a writer or a reader. ``sqlite3`` lets go of the GIL while SQLite works, so
the event loop runs on. The engine's own connections raise the automatic checkpoint to
:data:`INLINE_CHECKPOINT_PAGES`: should the thread fall behind (a reader that holds an
old snapshot, a stalled disk), a commit checkpoints as before and the WAL stays bounded.

Nothing about durability changes: a commit is durable when it is in the WAL (WAL mode,
``synchronous=NORMAL``), checkpointed or not; a WAL left by a process that dies is
replayed by the next connection that opens the file.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import weakref
from pathlib import Path

__all__ = [
    "CHECKPOINT_INTERVAL_S",
    "INLINE_CHECKPOINT_PAGES",
    "Checkpointer",
    "checkpoint_beside",
    "stop_checkpoints",
]

log = logging.getLogger("accord.sql")

#: How often the checkpointer looks at the WAL (s).
CHECKPOINT_INTERVAL_S = 0.25
#: The engine's connections checkpoint in a commit only past this many WAL pages
#: (SQLite's default: 1,000); the checkpointer keeps the WAL well below it.
INLINE_CHECKPOINT_PAGES = 10_000


class Checkpointer:
    """A thread that checkpoints the WAL of the SQLite file at ``path``.

    Started by :meth:`start`; :meth:`stop` ends it after one last pass and closes its
    connection (so the WAL of a database no one else has open is folded back in). An
    owner that is garbage collected without stopping it stops it too (:meth:`watch`).
    """

    def __init__(self, path: Path, *, interval: float = CHECKPOINT_INTERVAL_S) -> None:
        self._path = path
        self._wal = Path(f"{path}-wal")
        self._interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen: int | None = None
        #: How many checkpoints have run (for tests and diagnostics).
        self.checkpoints = 0

    def start(self) -> None:
        """Start the thread unless it runs (again after :meth:`stop`: an engine is
        usable after ``dispose()``)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"sqlite-checkpoint {self._path.name}", daemon=True
        )
        self._thread.start()

    def watch(self, owner: object) -> None:
        """Stop when ``owner`` (the engine) is garbage collected."""
        weakref.finalize(owner, self._stopping.set)

    @property
    def running(self) -> bool:
        """Whether the thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self, *, timeout: float = 5.0) -> None:
        """Stop the thread and wait for it (up to ``timeout`` seconds)."""
        self._stopping.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        try:
            connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as error:
            log.warning("WAL checkpoints of %s stay in commits: %s", self._path, error)
            return
        try:
            while not self._stopping.wait(self._interval):
                self._pass(connection)
            self._pass(connection)
        finally:
            connection.close()

    def _pass(self, connection: sqlite3.Connection) -> None:
        """Checkpoint when the WAL was written since the last pass."""
        try:
            written = os.stat(self._wal).st_mtime_ns
        except OSError:
            return  # no WAL (yet, or the file was folded back on close)
        if written == self._seen:
            return
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as error:
            # A busy or locked database (another process's checkpoint, a schema change)
            # is tried again on the next pass.
            log.debug("WAL checkpoint of %s deferred: %s", self._path, error)
            return
        self._seen = written
        self.checkpoints += 1


#: The checkpointer of each engine (its synchronous ``Engine``) that has one.
_CHECKPOINTERS: weakref.WeakKeyDictionary[object, Checkpointer] = weakref.WeakKeyDictionary()


def checkpoint_beside(engine: object, path: Path) -> Checkpointer:
    """Give ``engine`` (a synchronous ``Engine``) a checkpointer for ``path``, which its
    first connection starts (:meth:`Checkpointer.start`) and :func:`stop_checkpoints`
    stops."""
    checkpointer = Checkpointer(path)
    checkpointer.watch(engine)
    _CHECKPOINTERS[engine] = checkpointer
    return checkpointer


def stop_checkpoints(engine: object) -> None:
    """Stop the checkpointer of ``engine``, if it has one (``dispose()``)."""
    checkpointer = _CHECKPOINTERS.get(engine)
    if checkpointer is not None:
        checkpointer.stop()
