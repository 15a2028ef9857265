"""The data plane inside ``accord up``: Envoy in front of every service, and the
versions behind it kept as the rollouts ask.

:class:`DataPlane` is attached to a :class:`~accord.supervisor.Supervisor`. Before the
services start it gives each one a port of its own (the service's well-known port
becomes Envoy's listener), writes Envoy's configuration and starts Envoy. While the
system runs it reads each service's desired state (:mod:`accord.dataplane.desired`)
every ``interval`` seconds and makes the processes match: it starts extra versions
(their clusters first, weight 0), promotes one to primary, stops those no longer asked
for (after their in-flight requests), adds or removes preview listeners, and sends the
traffic back to the primary when the rollout that asked for more is gone. Every change
lands in the run file. Weights themselves are written by the rollout (one route file
per service); the data plane writes a route only at start and when it reverts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import msgspec

from accord.dataplane.desired import Desired, Instance, read_desired, write_desired
from accord.dataplane.files import ConfigFiles
from accord.dataplane.process import EnvoyProcess, free_port
from accord.dataplane.topology import Backend, Route, Topology, cluster_name
from accord.processes import RunningService, StartError

if TYPE_CHECKING:
    from accord.supervisor import Supervisor

__all__ = ["PRIMARY_VERSION", "DataPlane", "pid_alive"]

#: The version label of what ``accord up`` runs from the working tree.
PRIMARY_VERSION = "working"


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (and is not a zombie we could reap)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class DataPlane:
    """Envoy and the extra versions of a supervisor's services (see the module docstring)."""

    def __init__(self, supervisor: Supervisor, *, interval: float = 0.1) -> None:
        self.supervisor = supervisor
        self.home = supervisor.project.home
        folder = self.home / "dataplane"
        self.files = ConfigFiles(folder, folder / "access.jsonl")
        self.admin_port = free_port()
        self.envoy = EnvoyProcess(self.files.bootstrap_path, self.admin_port, folder / "envoy.log")
        self.interval = interval
        self.tls_passthrough = supervisor.tls_dir is not None
        self.extra: dict[str, dict[str, RunningService]] = {}
        self.failed: dict[str, dict[str, str]] = {}
        self.previews: dict[str, tuple[str, int]] = {}
        self._busy: set[tuple[str, str]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.Task[None] | None = None
        #: The weights the listeners were last written with (TLS passthrough).
        self._listened: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = ()
        self._following = False

    # -- start and stop --------------------------------------------------------------

    def assign_ports(self) -> None:
        """Give every service a port of its own behind its listener."""
        for svc in self.supervisor.services.values():
            svc.backend_port = free_port(self.supervisor.project.services[svc.name].host)

    async def start(self) -> None:
        """Write the configuration (no desired state yet) and start Envoy."""
        for service in self.supervisor.services:
            with contextlib.suppress(FileNotFoundError):
                (self.home / "dataplane" / "desired" / f"{service}.json").unlink()
        topology = self.topology()
        self.files.write_all(topology, admin_port=self.admin_port)
        self._listened = _weights_key(topology)
        await self.envoy.start()

    def watch(self) -> None:
        """Start following the desired states (once every service is up)."""
        self._following = True
        self._loop = asyncio.ensure_future(self._follow())

    async def stop(self) -> None:
        """Stop following, stop the extra versions, then Envoy."""
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        for task in list(self._tasks):
            task.cancel()
        for versions in self.extra.values():
            for svc in versions.values():
                await self._terminate(svc)
        await self.envoy.stop()

    # -- what Envoy is told ----------------------------------------------------------

    def route(self, service: str, weights: dict[str, int] | None = None) -> Route:
        """The route of ``service``: the primary (100 unless told) and every extra (0)."""
        primary = self.supervisor.services[service]
        spec = self.supervisor.project.services[service]
        backends = [primary, *self.extra.get(service, {}).values()]
        preview = self.previews.get(service)
        return Route(
            service=service,
            port=primary.port,
            host=spec.host,
            backends=tuple(
                Backend(
                    b.version,
                    b.backend_port or b.port,
                    (weights or {}).get(b.version, 100 if b is primary else 0),
                    spec.host,
                )
                for b in backends
            ),
            preview=preview[0] if preview else None,
            preview_port=preview[1] if preview else None,
        )

    def topology(self) -> Topology:
        """Every service's route as the data plane knows it (with TLS passthrough, once
        following: with the weights of the route files, which a rollout writes)."""
        routes = tuple(
            self.route(name, self._file_weights(name)) for name in self.supervisor.services
        )
        return Topology(routes=routes, tls_passthrough=self.tls_passthrough)

    def _file_weights(self, service: str) -> dict[str, int] | None:
        """The route file's weights by version (versions it does not name: 0), or None
        where the listeners do not take them from there."""
        if not (self.tls_passthrough and self._following):
            return None
        by_cluster = self.files.route_weights(service)
        if not by_cluster:
            return None
        versions = [self.supervisor.services[service].version, *self.extra.get(service, {})]
        return {v: by_cluster.get(cluster_name(service, v), 0) for v in versions}

    def _write_listeners(self) -> None:
        topology = self.topology()
        self.files.write_listeners(topology)
        self._listened = _weights_key(topology)

    def _listeners_follow_routes(self) -> None:
        """With TLS passthrough the weights live in the listeners: rewrite them when a
        route file changed what they should be."""
        if self.tls_passthrough and _weights_key(self.topology()) != self._listened:
            self._write_listeners()

    def run_info(self) -> dict[str, Any]:
        """What the run file says about the data plane."""
        proc = self.envoy.process
        scheme = "https" if self.tls_passthrough else "http"
        return {
            "admin": self.envoy.admin_url,
            "pid": proc.pid if proc else None,
            "config": str(self.files.directory),
            "access_log": str(self.files.access_log),
            "tls_passthrough": self.tls_passthrough,
            "tls_dir": str(self.supervisor.tls_dir) if self.supervisor.tls_dir else None,
            "instances": {
                service: {
                    v: {
                        "port": s.backend_port,
                        "pid": s.process.pid if s.process else None,
                        "ready": s.ready_at is not None
                        and s.process is not None
                        and s.process.returncode is None,
                    }
                    for v, s in versions.items()
                }
                for service, versions in self.extra.items()
            },
            "failed": self.failed,
            "previews": {
                s: {"version": v, "url": f"{scheme}://127.0.0.1:{p}"}
                for s, (v, p) in self.previews.items()
            },
        }

    # -- following the desired states ------------------------------------------------

    async def _follow(self) -> None:
        while True:
            for service in list(self.supervisor.services):
                desired = read_desired(self.home, service)
                if desired is not None:
                    try:
                        self._reconcile(service, desired)
                    except Exception as exc:  # keep following whatever one service does
                        self.supervisor.on_notice(f"data plane: {service}: {exc}")
            try:
                self._listeners_follow_routes()
            except Exception as exc:  # keep following
                self.supervisor.on_notice(f"data plane: listeners: {exc}")
            if self.envoy.process is not None and self.envoy.process.returncode is not None:
                self.supervisor.on_notice("envoy exited; starting it again")
                await self.envoy.start()
                self.supervisor.write_run_file()
            await asyncio.sleep(self.interval)

    def _reconcile(self, service: str, desired: Desired) -> None:
        primary = self.supervisor.services[service]
        if desired.owner and desired.reverted is None and not pid_alive(desired.owner):
            desired = self._revert(service, desired)
        extra = self.extra.setdefault(service, {})
        candidate = extra.get(desired.primary)
        if desired.primary != primary.version and candidate and candidate.ready_at is not None:
            self._promote(service, desired.primary)
            primary = self.supervisor.services[service]
        now = time.time()
        failed = self.failed.get(service, {})
        for version in [v for v in failed if desired.instance(v) is None]:
            del failed[version]  # asked for no more: it may be asked for again
        for inst in desired.instances:
            expired = inst.keep_until is not None and inst.keep_until < now
            known = inst.version in extra or inst.version == primary.version
            if not expired and not known and inst.version not in self.failed.get(service, {}):
                self._spawn(service, inst)
        for version in list(extra):
            asked = desired.instance(version)
            gone = asked is None or (asked.keep_until is not None and asked.keep_until < now)
            if gone and version != desired.primary and (service, version) not in self._busy:
                self._run(service, version, self._retire(service, version))
        self._preview(service, desired.preview)

    def _revert(self, service: str, desired: Desired) -> Desired:
        primary = self.supervisor.services[service]
        self.files.write_route(self.route(service))
        note = (
            f"rollout (pid {desired.owner}) ended before it finished: "
            f"all traffic back on {primary.version}"
        )
        self.supervisor.on_notice(f"{service}: {note}")
        reverted = msgspec.structs.replace(
            desired,
            primary=primary.version,
            instances=tuple(i for i in desired.instances if i.keep_until is not None),
            preview=None,
            owner=0,
            reverted=note,
        )
        write_desired(self.home, service, reverted)
        return reverted

    def _promote(self, service: str, version: str) -> None:
        extra = self.extra[service]
        new = extra.pop(version)
        old = self.supervisor.services[service]
        new.url, new.port = old.url, old.port
        self.supervisor.services[service] = new
        extra[old.version] = old
        self.supervisor.on_notice(f"{service}: {version} is now the primary (was {old.version})")
        self.supervisor.write_run_file()

    def _spawn(self, service: str, inst: Instance) -> None:
        primary = self.supervisor.services[service]
        svc = RunningService(
            service, primary.url, primary.port, version=inst.version, python=inst.python,
            env=dict(inst.env), backend_port=free_port(),
        )  # fmt: skip
        self.extra[service][inst.version] = svc
        self.files.write_clusters(self.topology())  # the cluster exists before any weight
        self._run(service, inst.version, self._bring_up(svc, inst))

    async def _bring_up(self, svc: RunningService, inst: Instance) -> None:
        try:
            await self.supervisor.start_instance(svc, ready_timeout=inst.ready_timeout)
        except StartError as exc:
            self.failed.setdefault(svc.name, {})[svc.version] = str(exc)
            await self._terminate(svc)
            self.extra[svc.name].pop(svc.version, None)
            self.files.write_clusters(self.topology())
        self.supervisor.write_run_file()

    async def _retire(self, service: str, version: str) -> None:
        svc = self.extra[service][version]
        await self._terminate(svc)
        self.extra[service].pop(version, None)
        if self.previews.get(service, ("",))[0] == version:
            self.previews.pop(service, None)
        self.files.write_clusters(self.topology())
        self._write_listeners()
        self.supervisor.write_run_file()

    async def _terminate(self, svc: RunningService) -> None:
        proc = svc.process
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), self.supervisor.stop_timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()

    def _preview(self, service: str, version: str | None) -> None:
        current = self.previews.get(service)
        if version is None and current is None:
            return
        if version is not None and current is not None and current[0] == version:
            return
        running = version is not None and version in self.extra.get(service, {})
        if version is not None and not running:
            return
        if version is None:
            self.previews.pop(service, None)
        else:
            self.previews[service] = (version, free_port())
        self._write_listeners()
        self.supervisor.write_run_file()

    def _run(self, service: str, version: str, work: Coroutine[Any, Any, None]) -> None:
        key = (service, version)
        self._busy.add(key)
        task = asyncio.ensure_future(work)
        self._tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            self._busy.discard(key)

        task.add_done_callback(done)


def _weights_key(topology: Topology) -> tuple[tuple[str, tuple[tuple[str, int], ...]], ...]:
    return tuple((r.service, tuple(r.weighted())) for r in topology.routes)
