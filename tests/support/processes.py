"""Start real processes for tests and stop them by PID."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_python(code: str, *, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (this one, this environment); its output as text.

    For probes of what a process loads or does at start, which the test's own process,
    with everything already imported, cannot show.
    """
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def wait_http(url: str, *, timeout: float = 20.0, status: int = 200) -> None:
    """Poll ``url`` until it answers ``status``; raise TimeoutError otherwise."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            r = httpx.get(url, timeout=1.0)
            if r.status_code == status:
                return
            last = r.status_code
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer {status} within {timeout}s (last: {last!r})")


def wait_for(
    condition: Callable[[], object], *, timeout: float = 30.0, what: str = "the condition"
) -> None:
    """Poll ``condition`` until it is true: an ordering wait, its bound only against a hang."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not hold within {timeout} s")
        time.sleep(0.02)


def wait_for_text(path: Path, text: str, *, timeout: float = 30.0) -> None:
    """Wait until the file at ``path`` (a process's log) contains ``text``."""

    def found() -> bool:
        try:
            return text in path.read_text(errors="replace")
        except FileNotFoundError:
            return False

    wait_for(found, timeout=timeout, what=f"{text!r} in {path.name}")


def stop(proc: subprocess.Popen[bytes], *, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
    """Signal the process (by PID), wait, kill it if it lingers; return its exit code."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(5)
    return int(proc.returncode)


@contextlib.contextmanager
def running(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``python -m <args>`` (or any argv when it starts with '/') and stop it after."""
    argv = list(args) if args and args[0].startswith("/") else [sys.executable, "-m", *args]
    full_env = {**os.environ, **(env or {})}
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(
        argv, env=full_env, cwd=cwd or ROOT, stdout=out, stderr=subprocess.STDOUT
    )
    try:
        yield proc
    finally:
        stop(proc)
        if log:
            out.close()  # type: ignore[union-attr]
