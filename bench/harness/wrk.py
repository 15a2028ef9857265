"""wrk: found (or installed), run pinned to a core, and its ``--latency`` output parsed."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.harness.servers import pin_to

__all__ = [
    "WrkError",
    "WrkResult",
    "ensure_wrk",
    "parse",
    "post_script",
    "run",
    "version",
]


class WrkError(RuntimeError):
    """wrk is missing, failed, or printed something that cannot be read."""


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    #: What a script printed when wrk was done: ``failed status <code>: <count>`` lines.
    script_output: str = ""

    @property
    def clean(self) -> bool:
        """True when every response was 2xx/3xx and no socket failed."""
        return self.non_2xx == 0 and self.socket_errors == 0


_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_PERCENTILE = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.M)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)\s*$", re.M)
_REQUESTS = re.compile(r"^\s*(\d+) requests in ", re.M)
_NON_2XX = re.compile(r"^\s*Non-2xx or 3xx responses:\s+(\d+)\s*$", re.M)
_SOCKET = re.compile(
    r"^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)\s*$", re.M
)


def parse(output: str) -> WrkResult:
    """Read requests/s, the 50th and 99th latency percentiles and the error counts."""
    percentiles = {p: float(v) * _UNITS_MS[u] for p, v, u in _PERCENTILE.findall(output)}
    rps = _RPS.search(output)
    requests = _REQUESTS.search(output)
    if rps is None or requests is None or set(percentiles) != {"50", "99"}:
        first = output.strip().splitlines()[:1]
        raise WrkError(f"cannot read wrk's output (was --latency given?): {first}")
    non_2xx = _NON_2XX.search(output)
    sockets = _SOCKET.search(output)
    return WrkResult(
        rps=float(rps.group(1)),
        p50_ms=percentiles["50"],
        p99_ms=percentiles["99"],
        requests=int(requests.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


def post_script(directory: Path, body: bytes) -> Path:
    """Write the Lua script that turns every request into ``POST`` of ``body``."""
    text = body.decode()
    if "]]" in text:
        raise ValueError("the body cannot contain ']]' (it is a Lua long string)")
    path = directory / "post.lua"
    path.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = [[{text}]]\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    return path


def run(
    url: str,
    *,
    duration: float,
    connections: int,
    core: int | None,
    script: Path | None = None,
    threads: int = 1,
    timeout: float | None = None,
) -> WrkResult:
    """Run ``wrk -t<threads> -c<connections> -d<duration>s --latency [-s script] url``;
    ``timeout``: seconds before wrk counts a request as a socket timeout (its own 2 s)."""
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--latency",
        *([f"--timeout={max(1, round(timeout))}s"] if timeout else []),
        *(["-s", str(script)] if script else []),
        url,
    ]
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=pin_to(core),
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=duration + 60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    text = out.decode(errors="replace")
    if proc.returncode != 0:
        raise WrkError(f"wrk exited with {proc.returncode}: {text.strip()[:300]}")
    result = parse(text)
    tail = text.split("Transfer/sec:", 1)[-1].split("\n", 1)[-1] if "Transfer/sec:" in text else ""
    return dataclasses.replace(result, script_output=tail.strip())


def version() -> str:
    """wrk's version line (``wrk 4.1.0 [epoll] ...``), or ``unknown``."""
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    lines = (out.stdout + out.stderr).strip().splitlines()
    return lines[0].split(" Copyright")[0] if lines else "unknown"


def ensure_wrk(*, install: bool | None = None) -> str:
    """The path of wrk, installing it with apt-get when running as root.

    Raises :class:`WrkError` with a one-line message saying how to install it otherwise.
    """
    found = shutil.which("wrk")
    if found:
        return found
    if install is None:
        install = os.geteuid() == 0 and shutil.which("apt-get") is not None
    if not install:
        raise WrkError("wrk is not installed; install it with: sudo apt-get install -y wrk")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "-qq", "install", "-y", "wrk"]
    if subprocess.run(cmd, env=env, check=False).returncode != 0:
        subprocess.run(["apt-get", "-qq", "update"], env=env, check=False)
        subprocess.run(cmd, env=env, check=False)
    found = shutil.which("wrk")
    if not found:
        raise WrkError("could not install wrk; install it with: apt-get install -y wrk")
    return found
