"""The running system as a rollout sees it: the run file, the route files, Envoy's admin.

A rollout talks to ``accord up`` through files only: it reads the run file (ports,
pids, versions, the data plane's admin address), writes the service's desired state
(:mod:`accord.dataplane.desired`) and the service's route (its weights), and reads
Envoy's admin interface to see what Envoy has loaded and counted.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx

from accord.dataplane.files import ConfigFiles
from accord.dataplane.plane import pid_alive
from accord.dataplane.stats import VersionStats, read_stats
from accord.dataplane.topology import Backend, Route, cluster_name
from accord.errors import AccordError
from accord.rollout.scrape import read_versions, transport_for

__all__ = ["RolloutError", "System"]


class RolloutError(AccordError):
    """Bad input to a rollout, or a system it cannot work with (one line says why)."""


class System:
    """A system started by ``accord up`` with its data plane."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.run: dict[str, Any] = {}
        self._scraped: dict[str, VersionStats] = {}
        self.refresh()
        dp = self.dataplane
        self.files = ConfigFiles(Path(dp["config"]), Path(dp["access_log"]))

    def refresh(self) -> None:
        """Read the run file again; :class:`RolloutError` when the system is not up."""
        try:
            self.run = json.loads((self.home / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise RolloutError(
                f"nothing is running in {self.home} (start it with accord up)"
            ) from None
        if not pid_alive(int(self.run.get("pid") or 0)):
            raise RolloutError(f"the system in {self.home} is not running (accord up exited)")
        if "dataplane" not in self.run:
            raise RolloutError("the running system has no data plane (start it with accord up)")

    @property
    def dataplane(self) -> dict[str, Any]:
        """The data plane's part of the run file."""
        return dict(self.run["dataplane"])

    @property
    def admin(self) -> str:
        """Envoy's admin interface."""
        return str(self.dataplane["admin"])

    @property
    def services(self) -> dict[str, dict[str, Any]]:
        """Each service's primary: url, pid, port, version."""
        return dict(self.run["services"])

    def primary(self, service: str) -> str:
        """The version the service runs as its primary."""
        return str(self.services[service]["version"])

    def instance(self, service: str, version: str) -> dict[str, Any] | None:
        """A version running beside the primary (port, pid, ready), or None."""
        found = self.dataplane.get("instances", {}).get(service, {}).get(version)
        return dict(found) if found else None

    def failed(self, service: str, version: str) -> str | None:
        """Why a version failed to start, if it did."""
        reason = self.dataplane.get("failed", {}).get(service, {}).get(version)
        return str(reason) if reason else None

    def preview_url(self, service: str) -> str | None:
        """The preview listener of the service, if one is up."""
        preview = self.dataplane.get("previews", {}).get(service)
        return str(preview["url"]) if preview else None

    def port_of(self, service: str, version: str) -> int:
        """Where one version of a service listens (0 when it is not running)."""
        if self.primary(service) == version:
            return int(self.services[service]["port"])
        inst = self.instance(service, version)
        return int(inst["port"]) if inst else 0

    # -- weights --------------------------------------------------------------------

    def set_weights(self, service: str, weights: dict[str, int]) -> dict[str, int]:
        """Write the service's route with these weights; the weights by cluster, as
        Envoy will show them once it runs the route."""
        url = httpx.URL(self.services[service]["url"])
        backends = tuple(
            Backend(version, self.port_of(service, version), weight, url.host)
            for version, weight in weights.items()
        )
        route = Route(service=service, port=url.port or 0, host=url.host, backends=backends)
        self.files.write_route(route)
        return dict(route.weighted())

    def weights(self, service: str) -> dict[str, int]:
        """The weights in the service's route file (by cluster name)."""
        try:
            doc = json.loads(self.files.route_path(service).read_text(encoding="utf-8"))
            return _weights_of(doc["resources"][0])
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            return {}

    async def route_loaded(
        self, service: str, expected: dict[str, int], timeout: float = 5.0
    ) -> float:
        """Wait until Envoy routes ``service`` with the ``expected`` weights (by cluster);
        the seconds it took. (An unchanged route is not reloaded, so the weights are
        compared, not the file's version.)"""
        started = time.monotonic()
        async with httpx.AsyncClient(timeout=1.0) as http:
            while time.monotonic() - started < timeout:
                if await self._runs(http, service, expected):
                    return time.monotonic() - started
                await asyncio.sleep(0.02)
        raise RolloutError(f"envoy did not load the new route of {service} within {timeout:g}s")

    async def _runs(self, http: httpx.AsyncClient, service: str, expected: dict[str, int]) -> bool:
        """Whether Envoy runs ``expected`` for ``service``: in its route over plain HTTP,
        in its listener with TLS passthrough (the data plane copies the route file's
        weights there)."""
        kind = "dynamic_listeners" if self.tls_passthrough else "dynamic_route_configs"
        r = await http.get(self.admin + "/config_dump", params={"resource": kind})
        for item in r.json().get("configs", []):
            if self.tls_passthrough:
                listener = item.get("active_state", {}).get("listener", {})
                if listener.get("name") == service and _listener_weights(listener) == expected:
                    return True
            else:
                config = item.get("route_config", {})
                if config.get("name") == service and _weights_of(config) == expected:
                    return True
        return False

    async def cluster_known(self, service: str, version: str, timeout: float = 5.0) -> None:
        """Wait until Envoy has the cluster of one version (before it gets a weight)."""
        name = cluster_name(service, version)
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=1.0) as http:
            while time.monotonic() < deadline:
                r = await http.get(self.admin + "/clusters", params={"format": "json"})
                statuses = r.json().get("cluster_statuses", [])
                if any(c.get("name") == name for c in statuses):
                    return
                await asyncio.sleep(0.05)
        raise RolloutError(f"envoy does not know {name} after {timeout:g}s")

    @property
    def tls_passthrough(self) -> bool:
        """Whether Envoy passes mutual TLS through (and so sees no requests)."""
        return bool(self.dataplane.get("tls_passthrough"))

    async def stats(self) -> dict[str, VersionStats]:
        """Per-cluster statistics now: Envoy's over plain HTTP; with mutual TLS each
        running version's own (:mod:`accord.rollout.scrape`), a version that does not
        answer keeping its last reading."""
        if not self.tls_passthrough:
            return await read_stats(self.admin)
        tls_dir = self.dataplane.get("tls_dir")
        found = await read_versions(self._versions(), Path(tls_dir) if tls_dir else None)
        self._scraped.update(found)
        return dict(self._scraped)

    def transport(self, service: str) -> httpx.AsyncBaseTransport | None:
        """How the rollout itself calls a version of ``service``: over mutual TLS as
        the supervisor (``accord-supervisor``) when the system runs it; else plain."""
        tls_dir = self.dataplane.get("tls_dir")
        return transport_for(Path(tls_dir), service) if tls_dir else None

    def _versions(self) -> dict[str, tuple[str, str]]:
        """Every running version's cluster → (service, its own base URL)."""
        out: dict[str, tuple[str, str]] = {}
        for service, primary in self.services.items():
            url = httpx.URL(primary["url"])
            ports = {str(primary["version"]): int(primary["port"])}
            for version, inst in self.dataplane.get("instances", {}).get(service, {}).items():
                ports[version] = int(inst["port"])
            for version, port in ports.items():
                base = f"{url.scheme}://{url.host}:{port}"
                out[cluster_name(service, version)] = (service, base)
        return out


def _weights_of(route_config: dict[str, Any]) -> dict[str, int]:
    route = route_config["virtual_hosts"][0]["routes"][0]["route"]
    return {c["name"]: int(c["weight"]) for c in route["weighted_clusters"]["clusters"]}


def _listener_weights(listener: dict[str, Any]) -> dict[str, int]:
    try:
        proxy = listener["filter_chains"][0]["filters"][0]["typed_config"]
        clusters = proxy["weighted_clusters"]["clusters"]
        return {str(c["name"]): int(c["weight"]) for c in clusters}
    except (KeyError, IndexError, TypeError, ValueError):
        return {}
