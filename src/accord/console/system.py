"""Where the running system is: its services, their URLs and pids, their contracts.

The run file ``accord up`` keeps (``<home>/run.json``) names each service's URL and pid;
without one (services started by hand) the ports of ``accord.toml`` are used. Behind a
data plane (Envoy) the URL is the listener, and the process's own port is recorded too:
probes and metrics are read from the process itself, requests go through the listener. Each
service's contracts are imported from the project file to know their prefixes
(``/v1``, ``/v2``): their documents are then read from the service itself.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from accord.project import Project, import_object

__all__ = ["ServiceEntry", "System"]

RUN_FILE = "run.json"


@dataclass(frozen=True)
class ServiceEntry:
    """One service as the console sees it."""

    name: str
    url: str
    pid: int | None = None
    prefixes: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = field(default=())
    #: Where the process itself answers: behind a data plane, not ``url`` (its listener).
    direct_url: str = ""
    #: The version label the run file gives it (``working``: the working tree).
    label: str = ""
    #: Other versions running beside it (rollouts): label → port, pid, ready.
    instances: dict[str, dict[str, object]] = field(default_factory=dict)

    @property
    def own_url(self) -> str:
        """The process's own address (its probes and metrics are read there)."""
        return self.direct_url or self.url

    def alive(self) -> bool | None:
        """Whether its recorded process runs (None when no pid is recorded)."""
        if self.pid is None:
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


class System:
    """The project and what its run file says, re-read on every call (it changes on
    restarts)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._prefixes: dict[str, tuple[str, ...]] = {}

    @property
    def telemetry(self) -> Path:
        """The folder the services write their spans to."""
        return self.project.home / "telemetry"

    def services(self) -> dict[str, ServiceEntry]:
        """Every service of the project, in start order, with its URL and pid."""
        run = self._run_file()
        recorded = run.get("services", {})
        plane = run.get("dataplane", {})
        instances = plane.get("instances", {}) if isinstance(plane, dict) else {}
        out: dict[str, ServiceEntry] = {}
        for name in self.project.start_order():
            spec = self.project.services[name]
            entry = recorded.get(name, {})
            url = str(entry.get("url") or f"http://{spec.host}:{spec.port}").rstrip("/")
            pid, port = entry.get("pid"), entry.get("port")
            direct = ""
            if isinstance(port, int) and not url.endswith(f":{port}"):
                direct = str(httpx.URL(url).copy_with(port=port)).rstrip("/")
            out[name] = ServiceEntry(
                name,
                url,
                int(pid) if isinstance(pid, int) else None,
                self._contract_prefixes(name),
                tuple(spec.depends_on),
                direct_url=direct,
                label=str(entry.get("version") or ""),
                instances=dict(instances.get(name) or {}),
            )
        return out

    def transport(self) -> httpx.AsyncBaseTransport | None:
        """How to call the services: mutual TLS as the supervisor when the running system
        is TLS (its run file names the certificate folder), else plain HTTP."""
        run = self._run_file()
        plane = run.get("dataplane", {})
        tls_dir = plane.get("tls_dir") if isinstance(plane, dict) else None
        if not tls_dir:
            return None
        from accord.console.transport import ByService

        ports: dict[int, str] = {}
        for name, entry in self.services().items():
            for url in (entry.url, entry.own_url):
                ports[httpx.URL(url).port or 0] = name
            for inst in entry.instances.values():
                if isinstance(inst.get("port"), int):
                    ports[int(str(inst["port"]))] = name
        return ByService(Path(str(tls_dir)), ports)

    def up(self) -> bool:
        """Whether a run file is there (``accord up`` runs)."""
        return (self.project.home / RUN_FILE).is_file()

    def _run_file(self) -> dict[str, Any]:
        try:
            data = json.loads((self.project.home / RUN_FILE).read_text(encoding="utf-8"))
            services = data["services"]
            data["services"] = {str(k): v for k, v in services.items() if isinstance(v, dict)}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}
        return data if isinstance(data, dict) else {}

    def _contract_prefixes(self, name: str) -> tuple[str, ...]:
        if name not in self._prefixes:
            found: list[str] = []
            for ref in self.project.services[name].contracts:
                with contextlib.suppress(Exception):  # unimportable: /openapi.json is read
                    found.append(str(import_object(ref).prefix()))
            self._prefixes[name] = tuple(found)
        return self._prefixes[name]
