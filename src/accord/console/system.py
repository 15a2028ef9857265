"""Where the running system is: its services, their URLs and pids, their contracts.

The run file ``accord up`` keeps (``<home>/run.json``) names each service's URL and pid;
without one (services started by hand) the ports of ``accord.toml`` are used. Each
service's contracts are imported from the project file to know their prefixes
(``/v1``, ``/v2``): their documents are then read from the service itself.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

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
        recorded = self._run_file()
        out: dict[str, ServiceEntry] = {}
        for name in self.project.start_order():
            spec = self.project.services[name]
            entry = recorded.get(name, {})
            url = str(entry.get("url") or f"http://{spec.host}:{spec.port}")
            pid = entry.get("pid")
            out[name] = ServiceEntry(
                name,
                url.rstrip("/"),
                int(pid) if isinstance(pid, int) else None,
                self._contract_prefixes(name),
                tuple(spec.depends_on),
            )
        return out

    def up(self) -> bool:
        """Whether a run file is there (``accord up`` runs)."""
        return (self.project.home / RUN_FILE).is_file()

    def _run_file(self) -> dict[str, dict[str, object]]:
        try:
            data = json.loads((self.project.home / RUN_FILE).read_text(encoding="utf-8"))
            services = data["services"]
        except (OSError, ValueError, KeyError, TypeError):
            return {}
        return {str(k): v for k, v in services.items() if isinstance(v, dict)}

    def _contract_prefixes(self, name: str) -> tuple[str, ...]:
        if name not in self._prefixes:
            found: list[str] = []
            for ref in self.project.services[name].contracts:
                with contextlib.suppress(Exception):  # unimportable: /openapi.json is read
                    found.append(str(import_object(ref).prefix()))
            self._prefixes[name] = tuple(found)
        return self._prefixes[name]
