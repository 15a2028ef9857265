"""A throwaway PostgreSQL server for tests: found, started, and stopped by PID.

``postgres_server()`` finds ``initdb``, ``pg_ctl`` and ``postgres`` (on PATH, else the
newest ``/usr/lib/postgresql/*/bin``), initialises a cluster in a temporary folder, starts
it on a free loopback port (its unix socket inside the same folder), and yields a
:class:`PostgresServer` whose :meth:`~PostgresServer.create_database` returns a fresh
``postgresql://<user>@127.0.0.1:<port>/<db>``. On exit the server is stopped with
``pg_ctl stop -m fast``, killed by PID if it lingers, and the folder removed.

PostgreSQL refuses to run as root: when the tests do, the folder is given to the
``postgres`` user (or to a throwaway ``accord-pg`` user created with ``useradd``) and the
binaries run through ``runuser -u <user> --``.

Where PostgreSQL cannot be started, :class:`PostgresUnavailable` says why;
:func:`skip_or_fail` turns that into a skip, or into a failure when ``CI=true``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest

from tests.support.processes import free_port

__all__ = [
    "PostgresServer",
    "PostgresUnavailable",
    "find_binaries",
    "postgres_server",
    "skip_or_fail",
]

THROWAWAY_USER = "accord-pg"
_BINARIES = ("initdb", "pg_ctl", "postgres")
_START_TIMEOUT = 30.0
_SETTINGS = {
    # Durability is worthless for a throwaway cluster; speed is not.
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "listen_addresses": "127.0.0.1",
}


class PostgresUnavailable(RuntimeError):
    """PostgreSQL cannot be started here; the message says why."""


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the test for ``reason``, except under ``CI=true`` where it is a failure."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required on CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL not available: {reason}")


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path.parent.name)) or (0,)


def find_binaries() -> Path:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``.

    PATH first (every binary must resolve to one folder), then the newest
    ``/usr/lib/postgresql/<version>/bin``. Raises :class:`PostgresUnavailable`.
    """
    found = [shutil.which(name) for name in _BINARIES]
    if all(found):
        folders = {Path(p).resolve().parent for p in found if p}
        if len(folders) == 1:
            return folders.pop()
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key)
    for folder in reversed(candidates):
        if all(os.access(folder / name, os.X_OK) for name in _BINARIES):
            return folder
    raise PostgresUnavailable(
        "initdb, pg_ctl and postgres were not found on PATH or in /usr/lib/postgresql/*/bin"
    )


def _run_as_user() -> str | None:
    """The user to run PostgreSQL as when we are root (None when we are not)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", THROWAWAY_USER):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    if shutil.which("useradd") is None or shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root and neither useradd nor runuser exists")
    result = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", THROWAWAY_USER],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode not in (0, 9):  # 9: the user exists (created meanwhile)
        raise PostgresUnavailable(f"useradd {THROWAWAY_USER} failed: {result.stderr.strip()}")
    return THROWAWAY_USER


@dataclass
class PostgresServer:
    """A running throwaway cluster; create one database per test with it."""

    bindir: Path
    root: Path
    port: int
    user: str
    os_user: str | None = None
    pid: int | None = None
    _names: Iterator[int] = field(default_factory=itertools.count)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        """``postgresql://<user>@127.0.0.1:<port>/<database>`` (trust authentication)."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "t") -> str:
        """Create an empty database with a unique name and return its URL."""
        name = f"{prefix}_{next(self._names)}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    # -- lifecycle -----------------------------------------------------------------------

    def _argv(self, binary: str, *args: str) -> list[str]:
        argv = [str(self.bindir / binary), *args]
        return ["runuser", "-u", self.os_user, "--", *argv] if self.os_user else argv

    def _run(self, binary: str, *args: str, timeout: float = 60.0) -> None:
        result = subprocess.run(
            self._argv(binary, *args),
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            output = (result.stdout + result.stderr).strip()
            raise PostgresUnavailable(f"{binary} {' '.join(args)} failed: {output[-2000:]}")

    def start(self) -> None:
        """Initialise the cluster and start it; wait until it accepts connections."""
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        )
        options = " ".join(f"-c {k}={v}" for k, v in _SETTINGS.items())
        options += f" -p {self.port} -k {self.root}"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            str(int(_START_TIMEOUT)),
            "start",
            timeout=_START_TIMEOUT + 10,
        )
        self.pid = self._read_pid()
        self._wait_ready()

    def _read_pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int((self.data / "postmaster.pid").read_text().splitlines()[0])
        return None

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(self.url(), connect_timeout=2):
                    return
            except psycopg.OperationalError as exc:
                last = exc
                time.sleep(0.1)
        raise PostgresUnavailable(f"server on port {self.port} never accepted connections: {last}")

    def stop(self) -> None:
        """``pg_ctl stop -m fast``; SIGKILL by PID if the server is still alive after."""
        with contextlib.suppress(PostgresUnavailable, subprocess.TimeoutExpired):
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", timeout=30)
        if self.pid is not None and _alive(self.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while _alive(self.pid) and time.monotonic() < deadline:
                time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _give_to(path: Path, user: str) -> None:
    record = pwd.getpwnam(user)
    os.chown(path, record.pw_uid, record.pw_gid)


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a throwaway PostgreSQL cluster; stop it and remove its files on exit.

    Raises :class:`PostgresUnavailable` when it cannot be started (no binaries, no way
    to run as a non-root user, initdb or start-up failing).
    """
    bindir = find_binaries()
    os_user = _run_as_user()
    root = Path(tempfile.mkdtemp(prefix="accord-pg-"))
    try:
        if os_user is not None:
            _give_to(root, os_user)
        user = os_user or pwd.getpwuid(os.geteuid()).pw_name
        server = PostgresServer(bindir=bindir, root=root, port=free_port(), user=user)
        server.os_user = os_user
        try:
            server.start()
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
