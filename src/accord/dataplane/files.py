"""The files Envoy watches, written so that it never reads half of one.

Each file is written beside its final name and renamed over it: Envoy's file watcher
sees the rename and loads the complete new version (filesystem xDS). ``version_info``
grows with each write so Envoy's statistics show which version it runs.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path
from typing import Any

from accord.dataplane import config
from accord.dataplane.topology import Route, Topology

__all__ = ["ConfigFiles"]

_counter = itertools.count(1)


def write_atomically(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` through a rename (never a partial file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{next(_counter)}.tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def _discovery(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"version_info": str(time.time_ns()), "resources": resources}


class ConfigFiles:
    """The configuration folder of one Envoy: bootstrap, listeners, clusters, routes."""

    def __init__(self, directory: Path, access_log: Path) -> None:
        self.directory = directory
        self.access_log = access_log

    @property
    def bootstrap_path(self) -> Path:
        """Where the bootstrap is written."""
        return self.directory / "bootstrap.json"

    @property
    def lds(self) -> Path:
        """Listeners (LDS)."""
        return self.directory / "lds.json"

    @property
    def cds(self) -> Path:
        """Clusters (CDS)."""
        return self.directory / "cds.json"

    def route_path(self, service: str) -> Path:
        """The route (RDS) of one service."""
        return self.directory / "routes" / f"{service}.json"

    def write_all(self, topology: Topology, *, admin_port: int) -> None:
        """Every file, routes and clusters before the listeners that name them."""
        self.access_log.parent.mkdir(parents=True, exist_ok=True)
        for route in topology.routes:
            self.write_route(route)
        self.write_clusters(topology)
        self.write_listeners(topology)
        boot = config.bootstrap(admin_port=admin_port, lds=self.lds, cds=self.cds)
        write_atomically(self.bootstrap_path, boot)

    def write_clusters(self, topology: Topology) -> None:
        """The clusters of every version of every service."""
        write_atomically(self.cds, _discovery(config.clusters(topology)))

    def write_listeners(self, topology: Topology) -> None:
        """The listeners (TLS passthrough: the weights live here)."""
        resources = config.listeners(
            topology, routes_dir=self.route_path("x").parent, access_log=self.access_log
        )
        write_atomically(self.lds, _discovery(resources))

    def route_weights(self, service: str) -> dict[str, int]:
        """The weights (by cluster) of the service's route file; empty when unreadable."""
        try:
            doc = json.loads(self.route_path(service).read_text(encoding="utf-8"))
            route = doc["resources"][0]["virtual_hosts"][0]["routes"][0]["route"]
            clusters = route["weighted_clusters"]["clusters"]
            return {str(c["name"]): int(c["weight"]) for c in clusters}
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            return {}

    def write_route(self, route: Route) -> str:
        """One service's route: its weights. Returns the ``version_info`` written."""
        document = _discovery([config.route_configuration(route)])
        write_atomically(self.route_path(route.service), document)
        return str(document["version_info"])
