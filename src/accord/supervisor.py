"""Run a project's services as local processes: start in order, wait, stream, stop.

``accord up`` and ``accord demo`` use it. Each service runs as
``python -m accord serve <app factory> --port <port>`` with its environment:

- ``ACCORD_HOME``: the project's state folder (databases, telemetry, logs);
- ``ACCORD_SERVICE``: the service's name;
- ``ACCORD_URL_<NAME>``: the base URL of every service of the project, so a service
  finds the ones it depends on;
- ``ACCORD_ISSUER_URL``: the base URL of the service that issues tokens, when the project
  names one (``[project] token_issuer``), so every service finds the keys that verify
  them (:class:`~accord.runtime.auth.AuthSettings`);
- ``OTEL_TRACES_SAMPLER``: ``parentbased_always_on`` unless already set (locally every
  request is traced), and ``OTEL_BSP_SCHEDULE_DELAY``: 200 ms unless already set (a
  trace can be read with ``accord traces`` as soon as its request was answered);
- ``ACCORD_TLS_DIR``: with ``tls_dir``, the certificate folder; every service then serves
  HTTPS with mutual TLS, the URLs are ``https://``, and readiness is probed over mutual
  TLS with the supervisor's own certificate (``accord-supervisor``). Behind Envoy
  (which then passes TCP through and weighs connections) each service also gets
  ``ACCORD_CONNECTION_MAX_AGE`` (1 s unless set): a kept-alive connection is closed after
  its first response past that age, so a caller's next connection is weighed again
  (:mod:`accord.runtime.connage`).

With ``dataplane=True`` (``accord up``) Envoy stands in front of the services
(:mod:`accord.dataplane`): the well-known ports are its listeners, each service listens
on a port of its own behind it, every call (the services' calls to each other too) goes
through it, and rollouts add, promote and stop versions of a service while it runs.

Each child also gets ``ACCORD_INSTANCE``, a nonce new at every start, which its
``/readyz`` echoes in the ``accord-instance`` header: a service counts as ready only when
its own process answers, never because something else answers on its port. A child that
exits while it is awaited (a port taken, a failing factory) is reported with its own last
lines.

Children end with the supervisor however it ends (:mod:`accord.lifetime`: a parent-death
signal on Linux, a process group each, ``ACCORD_PARENT_PID`` for a watch elsewhere).

The supervisor keeps a run file (``<home>/run.json``, :mod:`accord.runfile`: pids with
their start times, and URLs) once every service is ready, and again after each restart,
so other commands can find a running system, and ``accord down`` or the next
``accord up`` can stop what is left.

With ``reload``, each service runs as ``accord serve --reload`` (:mod:`accord.reload`):
a change to the Python code a service imported restarts that service alone.

A service that exits without being asked to is started again (:class:`RestartPolicy`):
after 0.5 s, then 1 s, 2 s … up to 10 s between tries, back to 0.5 s once it has stayed
ready for 30 s. Each restart is announced in one line
(``inventory exited with -9; restarting in 0.5 s (restart 1)``), the service is waited
for until ready again, and the run file gets its new pid.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from accord import lifetime, runfile
from accord.errors import AccordError
from accord.processes import RunningService, StartError
from accord.project import Project

if TYPE_CHECKING:
    from accord.dataplane import DataPlane

__all__ = ["RestartPolicy", "RunningService", "StartError", "Supervisor", "read_run_file"]

RUN_FILE = runfile.RUN_FILE
#: The environment variable that carries a child's start nonce.
INSTANCE_VARIABLE = "ACCORD_INSTANCE"
#: The ``/readyz`` answer header that echoes it.
INSTANCE_HEADER = "accord-instance"
#: Seconds a connection to a service carries requests behind Envoy's TLS passthrough.
CONNECTION_MAX_AGE = "1"


@dataclass(frozen=True)
class RestartPolicy:
    """How a service that exits unexpectedly is started again.

    The n-th restart in a row waits ``min(initial * factor**(n-1), maximum)`` seconds; a
    service that stayed ready for ``reset_after`` seconds starts counting again from 1.
    ``max_restarts`` (None: no limit) restarts in a row give up and stop the system.
    """

    initial: float = 0.5
    maximum: float = 10.0
    factor: float = 2.0
    reset_after: float = 30.0
    max_restarts: int | None = None

    def delay(self, restart: int) -> float:
        """Seconds to wait before restart number ``restart`` (1-based) of a streak."""
        return float(min(self.initial * self.factor ** max(restart - 1, 0), self.maximum))


LineSink = Callable[[str, str], None]
NoticeSink = Callable[[str], None]


def _print_notice(message: str) -> None:
    print(f"accord: {message}", file=sys.stderr, flush=True)


class Supervisor:
    """Starts the services of a project, streams their output, and stops them."""

    def __init__(
        self,
        project: Project,
        *,
        ports: Mapping[str, int] | None = None,
        environ: Mapping[str, str] | None = None,
        on_line: LineSink | None = None,
        ready_timeout: float = 30.0,
        stop_timeout: float = 15.0,
        restart: RestartPolicy | None = RestartPolicy(),
        on_notice: NoticeSink | None = None,
        tls_dir: Path | None = None,
        dataplane: bool = False,
        reload: bool = False,
    ) -> None:
        self.project = project
        self.tls_dir = tls_dir
        self.reload = reload
        self.environ = dict(os.environ if environ is None else environ)
        self.on_line = on_line or (lambda _name, _line: None)
        self.on_notice = on_notice or _print_notice
        self.restart = restart
        #: Extra environment per service, applied from its next (re)start on.
        self.extra_env: dict[str, dict[str, str]] = {}
        self._stopping = False
        self.ready_timeout = ready_timeout
        self.stop_timeout = stop_timeout
        self.order = project.start_order()
        overrides = dict(ports or {})
        unknown = set(overrides) - set(project.services)
        if unknown:
            raise StartError(f"unknown service(s) {', '.join(sorted(unknown))}")
        self.services: dict[str, RunningService] = {}
        for name in self.order:
            spec = project.services[name]
            port = overrides.get(name, spec.port)
            if not port:
                raise StartError(f"service {name} has no port (set it in accord.toml)")
            scheme = "http" if tls_dir is None else "https"
            self.services[name] = RunningService(name, f"{scheme}://{spec.host}:{port}", port)
        self._readers: list[asyncio.Task[None]] = []
        self.dataplane: DataPlane | None = None
        if dataplane:
            from accord.dataplane import DataPlane

            self.dataplane = DataPlane(self)

    # -- environment -----------------------------------------------------------------

    def service_env(self, name: str) -> dict[str, str]:
        """The environment a service process starts with."""
        env = dict(self.environ)
        env["ACCORD_HOME"] = str(self.project.home)
        env["ACCORD_SERVICE"] = name
        env.setdefault("OTEL_TRACES_SAMPLER", "parentbased_always_on")
        env.setdefault("OTEL_BSP_SCHEDULE_DELAY", "200")
        for other in self.services.values():
            env[f"ACCORD_URL_{other.name.upper().replace('-', '_')}"] = other.url
        issuer = self.services.get(self.project.token_issuer)
        if issuer is not None:
            env["ACCORD_ISSUER_URL"] = issuer.url
        src = str(self.project.root)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        if self.tls_dir is not None:
            env["ACCORD_TLS_DIR"] = str(self.tls_dir)
            if self.project.services[name].public:  # customers present no certificate
                env["ACCORD_TLS_PUBLIC"] = "1"
            if self.dataplane is not None:  # Envoy weighs connections, not requests
                env.setdefault("ACCORD_CONNECTION_MAX_AGE", CONNECTION_MAX_AGE)
        env.update(self.extra_env.get(name, {}))
        return env

    # -- start -----------------------------------------------------------------------

    async def start(self) -> None:
        """Start every service in dependency order, each ready before the next starts."""
        self.project.home.mkdir(parents=True, exist_ok=True)
        if self.dataplane is not None:
            # The well-known ports are Envoy's listeners: checked here, as Envoy has no
            # readiness of its own to judge. (A service's own port is its child's to bind,
            # and a failure to bind is reported with the child's own line.)
            for svc in self.services.values():
                host = self.project.services[svc.name].host
                if not _port_free(host, svc.port):
                    raise StartError(
                        f"port {svc.port} for {svc.name} is in use (is the system already up?)"
                    )
        try:
            if self.dataplane is not None:
                self.dataplane.assign_ports()
                await self.dataplane.start()
            for name in self.order:
                await self._start_one(self.services[name])
        except BaseException:
            await self.stop()
            raise
        self.write_run_file()
        if self.dataplane is not None:
            self.dataplane.watch()

    async def start_instance(self, svc: RunningService, *, ready_timeout: float) -> None:
        """Start one more process of a service (a version beside the primary), until ready."""
        await self._start_one(svc, ready_timeout=ready_timeout)

    async def _start_one(self, svc: RunningService, *, ready_timeout: float | None = None) -> None:
        spec = self.project.services[svc.name]
        argv = [
            svc.python or sys.executable, "-m", "accord", "serve", spec.app,
            "--host", spec.host, "--port", str(svc.backend_port or svc.port),
        ]  # fmt: skip
        if spec.forwarded_allow_ips:
            argv += ["--forwarded-allow-ips", ",".join(spec.forwarded_allow_ips)]
        if self.reload:
            argv.append("--reload")
        svc.instance = secrets.token_hex(8)
        env = {**self.service_env(svc.name), **svc.env}
        env[INSTANCE_VARIABLE] = svc.instance
        env[lifetime.PARENT_VARIABLE] = str(os.getpid())
        cwd = self.project.root
        if svc.python is not None:  # a release (<release>/venv/bin/python) runs its own code
            cwd = Path(svc.python).parents[2]
            for name in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV"):
                env.pop(name, None)
            # configuration belongs to the environment, not to the build
            env.setdefault("ACCORD_CONFIG_DIR", str(self.project.root / "config"))
        svc.process = await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=lifetime.child_setup(),
        )
        self._readers.append(asyncio.create_task(self._pump(svc)))
        await self._wait_ready(svc, ready_timeout or self.ready_timeout)

    async def _pump(self, svc: RunningService) -> None:
        assert svc.process is not None and svc.process.stdout is not None
        async for raw in svc.process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            svc.tail.append(line)
            del svc.tail[:-20]
            self.on_line(svc.name, line)

    async def _wait_ready(self, svc: RunningService, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        assert svc.process is not None
        async with httpx.AsyncClient(timeout=1.0, transport=self._probe(svc.name)) as http:
            while time.monotonic() < deadline:
                if svc.process.returncode is not None:
                    await asyncio.sleep(0.1)  # let the reader drain the last lines
                    last = "; ".join(svc.tail[-3:]) or "no output"
                    raise StartError(
                        f"{svc.name} exited with status {svc.process.returncode}: {last}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    r = await http.get(svc.probe_url + "/readyz")
                    # Only our own child knows the nonce: anyone else on the port is not it.
                    if r.status_code == 200 and r.headers.get(INSTANCE_HEADER) == svc.instance:
                        svc.ready_at = time.monotonic()
                        return
                await asyncio.sleep(0.1)
        raise StartError(f"{svc.name} was not ready within {timeout:.0f}s")

    def _probe(self, name: str) -> httpx.AsyncBaseTransport | None:
        """With TLS: mutual TLS as ``accord-supervisor``, accepting only ``name``."""
        if self.tls_dir is None:
            return None
        from accord.security.tls import SUPERVISOR, MutualTLSTransport, TLSConfig

        try:
            return MutualTLSTransport(TLSConfig(self.tls_dir, SUPERVISOR), name)
        except AccordError as exc:
            raise StartError(str(exc)) from None

    # -- run and stop ----------------------------------------------------------------

    async def wait(self) -> str | None:
        """Block until a service exits for good; return its name (None when all stopped).

        With a restart policy a service that exits is started again (see the module's
        docstring) and the wait goes on; it ends when a service used up
        ``max_restarts``, or when :meth:`stop` was called.
        """
        while True:
            name = await self._first_exit()
            if name is not None and _alive(self.services[name]):
                continue  # the process that exited was replaced (a promoted version)
            if name is None or self.restart is None or self._stopping:
                return name
            if not await self._restart(self.services[name], self.restart):
                return name

    async def _restart(self, svc: RunningService, policy: RestartPolicy) -> bool:
        """Start ``svc`` again after its backoff; False when the policy gives up."""
        assert svc.process is not None
        code = svc.process.returncode
        while True:
            now = time.monotonic()
            if svc.ready_at is not None and now - svc.ready_at >= policy.reset_after:
                svc.restarts = 0
            svc.ready_at = None
            if policy.max_restarts is not None and svc.restarts >= policy.max_restarts:
                self.on_notice(
                    f"{svc.name} exited with {code}; gave up after {svc.restarts} restarts"
                )
                return False
            svc.restarts += 1
            delay = policy.delay(svc.restarts)
            self.on_notice(
                f"{svc.name} exited with {code}; restarting in {delay:g} s (restart {svc.restarts})"
            )
            await asyncio.sleep(delay)
            if self._stopping:
                return True
            try:
                await self._start_one(svc)
            except StartError as exc:
                code = svc.process.returncode if svc.process else None
                self.on_notice(f"{svc.name} did not come back: {exc}")
                if svc.process is not None and svc.process.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        svc.process.kill()
                    code = await svc.process.wait()
                continue
            pid = svc.process.pid if svc.process else None
            self.on_notice(f"{svc.name} is ready again (pid {pid})")
            self.write_run_file()
            return True

    async def _first_exit(self) -> str | None:
        procs = {
            asyncio.ensure_future(s.process.wait()): s.name
            for s in self.services.values()
            if s.process is not None
        }
        if not procs:
            return None
        done, _ = await asyncio.wait(procs, return_when=asyncio.FIRST_COMPLETED)
        for task in procs:
            if task not in done:
                task.cancel()
        return procs[next(iter(done))]

    async def stop(self) -> dict[str, int | None]:
        """SIGTERM every service (dependents first), wait, then SIGKILL what lingers."""
        self._stopping = True
        codes: dict[str, int | None] = {}
        for name in reversed(self.order):
            proc = self.services[name].process
            if proc is not None and proc.returncode is None:
                lifetime.send(proc.pid, signal.SIGTERM)
        for name in reversed(self.order):
            proc = self.services[name].process
            if proc is None:
                continue
            try:
                codes[name] = await asyncio.wait_for(proc.wait(), self.stop_timeout)
            except TimeoutError:
                lifetime.send(proc.pid, signal.SIGKILL)
                codes[name] = await proc.wait()
        if self.dataplane is not None:
            await self.dataplane.stop()
        for task in self._readers:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(task, 2.0)
        runfile.remove(self.project.home)
        return codes

    def write_run_file(self) -> None:
        """Write the run file: the services' URLs and pids, each with its start time (and
        the data plane's state)."""
        extra: dict[str, object] = {}
        if self.dataplane is not None:
            extra["dataplane"] = self.dataplane.run_info()
        runfile.write(
            self.project.home,
            {
                s.name: {
                    "url": s.url,
                    "pid": s.process.pid if s.process else None,
                    "port": s.backend_port or s.port,
                    "version": s.version,
                }
                for s in self.services.values()
            },
            extra=extra,
        )


def read_run_file(home: Path) -> dict[str, str] | None:
    """URLs of a running system started by ``accord up``, or None when none is up.

    Up means: the run file's supervisor and every service it names are still the very
    processes it recorded (:mod:`accord.runfile`).
    """
    record = runfile.read(home)
    if record is None or not record.supervisor.alive() or not record.services:
        return None
    if len(record.living_services()) != len(record.services):
        return None
    return {name: svc.url for name, svc in record.services.items()}


def _alive(svc: RunningService) -> bool:
    return svc.process is not None and svc.process.returncode is None


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True
