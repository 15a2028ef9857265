"""A project of two tiny services (``alpha``, ``beta`` after it) in a temporary folder,
for tests of ``accord up`` and ``accord down`` that are about processes, not the shop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from accord import lifetime
from tests.support.processes import free_port

SERVICES = ("alpha", "beta")

APP = """
import os

import msgspec

from accord import App, Contract, Idempotency, operation


class Ping(msgspec.Struct):
    pass


class Pong(msgspec.Struct):
    ok: bool


class Tiny(Contract, name="tiny", version="1.0.0"):
    ping = operation(
        Ping, Pong, method="GET", path="/ping", idempotency=Idempotency.READ_ONLY, timeout=1.0
    )


class Implementation:
    async def ping(self, request: Ping) -> Pong:
        return Pong(ok=True)


def create_app() -> App:
    with open("starts.txt", "a") as starts:
        starts.write(f"{__name__} {os.getpid()}\\n")
    return App(Tiny, Implementation())
"""


class TinyShop:
    """The project folder, its ports, and how to run ``accord`` in it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "state"
        self.ports = {name: free_port() for name in SERVICES}
        toml = '[project]\nhome = "state"\n'
        for name in SERVICES:
            (root / f"{name}_app.py").write_text(APP)
            toml += (
                f'\n[services.{name}]\napp = "{name}_app:create_app"\nport = {self.ports[name]}\n'
            )
        toml += 'depends_on = ["alpha"]\n'
        (root / "accord.toml").write_text(toml)
        self.env = {k: v for k, v in os.environ.items() if k != "ACCORD_HOME"}

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self, *args: str, log: str = "up.log", plain: bool = True) -> subprocess.Popen[bytes]:
        """``accord up --raw`` in the project, its output in ``log``: with ``--plain``
        unless told (these tests are about processes, not the transport)."""
        out = (self.root / log).open("ab")
        mode = ["--plain"] if plain else []
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "accord", "up", *mode, "--raw", *args],
                cwd=self.root,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        finally:
            out.close()

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """``accord <args>`` in the project, to the end."""
        return subprocess.run(
            [sys.executable, "-m", "accord", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def starts(self) -> list[tuple[str, int]]:
        """Every start of an app so far: (module, pid), in order."""
        path = self.root / "starts.txt"
        if not path.exists():
            return []
        return [(m, int(p)) for m, p in (line.split() for line in path.read_text().splitlines())]

    def log(self, name: str = "up.log") -> str:
        return (self.root / name).read_text(errors="replace")

    def wait_run_file(self, proc: subprocess.Popen[bytes], timeout: float = 60) -> dict:
        """The run file once every service is recorded and ready (``services up``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"accord up exited {proc.returncode}:\n{self.log()}")
            if "services up" in self.log():
                return json.loads((self.home / "run.json").read_text())
            time.sleep(0.1)
        raise TimeoutError(f"accord up was not up within {timeout}s:\n{self.log()}")


def services_alive(run: dict) -> list[int]:
    """The pids of the run file's services that are still those processes."""
    return [
        int(svc["pid"])
        for svc in run["services"].values()
        if lifetime.alive(int(svc["pid"]), svc["started"])
    ]


def wait_gone(run: dict, timeout: float) -> list[int]:
    """Wait up to ``timeout`` seconds for every service to end; return those still alive."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not services_alive(run):
            return []
        time.sleep(0.05)
    return services_alive(run)
