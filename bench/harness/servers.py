"""Uvicorn servers under test: one worker each, pinned to a core, stopped by PID."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.harness.variants import BAD_ORDER, ORDER, ORDER_TOTAL, Variant

__all__ = [
    "UVICORN_FLAGS",
    "Server",
    "ServerError",
    "check",
    "free_port",
    "pin_to",
    "start",
    "stop",
]

ROOT = Path(__file__).resolve().parents[2]

#: The same settings for every variant.
UVICORN_FLAGS = (
    "--workers",
    "1",
    "--no-access-log",
    "--log-level",
    "warning",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
)


class ServerError(RuntimeError):
    """A server did not start, or did not answer as every variant must."""


@dataclass
class Server:
    """A running variant: its process, where it listens and its log file."""

    variant: Variant
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    paths: dict[str, str]

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def url(self, endpoint: str) -> str:
        """The full URL of ``endpoint`` (``ping`` or ``order``)."""
        return self.base_url + self.paths[endpoint]

    def log_tail(self, lines: int = 15) -> str:
        """The last lines the server wrote (for error messages)."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pin_to(core: int | None) -> Callable[[], None] | None:
    """A ``preexec_fn`` that pins the child (and every thread it starts) to ``core``."""
    if core is None:
        return None

    def pin() -> None:
        os.sched_setaffinity(0, {core})

    return pin


def start(
    variant: Variant,
    *,
    core: int | None,
    scratch: Path,
    ready_timeout: float = 30.0,
) -> Server:
    """Start ``variant`` under uvicorn on a free loopback port; return once it answers."""
    port = free_port()
    tmp = scratch / variant.name
    tmp.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update({k: v.replace("{tmp}", str(tmp)) for k, v in variant.env.items()})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        variant.factory,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *UVICORN_FLAGS,
    ]
    log = tmp / "server.log"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=pin_to(core),  # before any thread starts
            start_new_session=True,  # Ctrl-C reaches the harness, which stops it by PID
        )
    server = Server(variant, process, port, log, variant.paths())
    try:
        _wait_ready(server, ready_timeout)
    except BaseException:
        stop(server)
        raise
    return server


def _wait_ready(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    url = server.url("ping")
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerError(
                f"{server.variant.name} exited with code {server.process.returncode}:\n"
                + server.log_tail()
            )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        time.sleep(0.05)
    raise ServerError(f"{server.variant.name} did not answer {url} within {timeout:.0f}s")


def stop(server: Server, *, timeout: float = 10.0) -> None:
    """SIGTERM the server's PID, wait, SIGKILL it if it lingers."""
    proc = server.process
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(5)


def check(server: Server) -> None:
    """Fail unless the server answers like every variant must.

    ``GET ping`` → 200 ``{"ok": true}``; ``POST order`` → 201 with an ``order_id`` and
    ``total_items`` of 15; an order with a zero quantity → 422. This keeps the work each
    variant does comparable: no variant may skip validation.
    """
    name = server.variant.name
    headers = {"content-type": "application/json"}
    with httpx.Client(timeout=5.0) as client:
        pong = client.get(server.url("ping"))
        if pong.status_code != 200 or pong.json() != {"ok": True}:
            raise ServerError(f"{name}: ping answered {pong.status_code} {pong.text[:200]}")
        placed = client.post(server.url("order"), content=ORDER, headers=headers)
        body = placed.json() if placed.status_code == 201 else {}
        if not (isinstance(body.get("order_id"), str) and body.get("total_items") == ORDER_TOTAL):
            raise ServerError(f"{name}: order answered {placed.status_code} {placed.text[:200]}")
        bad = client.post(server.url("order"), content=BAD_ORDER, headers=headers)
        if bad.status_code != 422:
            raise ServerError(f"{name}: an invalid order got {bad.status_code}, not 422")
