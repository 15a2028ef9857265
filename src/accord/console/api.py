"""The console's JSON API: what the page reads, each answer built from the running system.

=============================  ==============================================================
``GET /api/services``          each service: health, versions, request rate, error rate, p99
``GET /api/documents/NAME``    the OpenAPI documents a service serves, one per contract
``GET /api/map``               the services and who calls whom (from the traces)
``GET /api/traces?last=N``     the newest traces
``GET /api/traces/ID``         one trace (a unique prefix of 8+ hex digits) as waterfall rows
``GET /api/flags``             every environment's flags and variants
``GET /api/configuration``     each service's configuration version, where available
``GET /api/rollouts``          rollouts in progress, where available
``POST /api/try``              send a request to a service and answer what it answered
=============================  ==============================================================

Errors are RFC 9457 problem details with a stable ``code`` (``console.*``).
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import httpx
import msgspec

from accord.console import flags, releases
from accord.console.forward import METHODS, TryRequest, bad_path, send
from accord.console.metrics import Window, read_exposition
from accord.console.problem import Problem
from accord.console.spans import AmbiguousTrace, SpanStore, UnknownTrace, valid_prefix
from accord.console.system import ServiceEntry, System
from accord.console.topology import edges

__all__ = ["ConsoleAPI", "Problem"]


class ConsoleAPI:
    """The handlers; one instance per console process keeps the metric windows."""

    def __init__(self, system: System, *, timeout: float = 2.0) -> None:
        self.system = system
        self.store = SpanStore(system.telemetry)
        self.timeout = timeout
        self._windows: dict[str, Window] = {}
        self._versions: dict[tuple[str, int | None], list[str]] = {}

    def _client(self, timeout: float | None = None) -> httpx.AsyncClient:
        """A client of the services (over mutual TLS, as the supervisor, when they are)."""
        return httpx.AsyncClient(
            timeout=self.timeout if timeout is None else timeout,
            transport=self.system.transport(),
        )

    # -- services --------------------------------------------------------------------

    async def services(self) -> dict[str, Any]:
        """Each service with its health and traffic, in start order."""
        entries = list(self.system.services().values())
        async with self._client() as http:
            rows = await asyncio.gather(*(self._service(http, e) for e in entries))
        return {"project": self.system.project.root.name, "up": self.system.up(), "services": rows}

    async def _service(self, http: httpx.AsyncClient, entry: ServiceEntry) -> dict[str, Any]:
        row: dict[str, Any] = {
            "name": entry.name,
            "url": entry.url,
            "pid": entry.pid,
            "alive": entry.alive(),
            "depends_on": list(entry.depends_on),
            "label": entry.label,
            "instances": entry.instances,
        }
        try:
            ready = await http.get(entry.own_url + "/readyz")
            row["health"] = "ready" if ready.status_code == 200 else "not ready"
            row["detail"] = "" if ready.status_code == 200 else _detail(ready)
        except httpx.HTTPError as exc:
            row.update(health="down", detail=type(exc).__name__)
            row.update(versions=[], rate=None, error_rate=None, p99_ms=None, requests=None)
            return row
        row["versions"] = await self._service_versions(http, entry)
        try:
            metrics = await http.get(entry.own_url + "/metrics")
            reading = read_exposition(metrics.text)
        except (httpx.HTTPError, ValueError):
            row.update(rate=None, error_rate=None, p99_ms=None, requests=None)
            return row
        figures = self._windows.setdefault(entry.name, Window()).add(reading)
        row.update(dataclasses.asdict(figures))
        return row

    async def _service_versions(self, http: httpx.AsyncClient, entry: ServiceEntry) -> list[str]:
        key = (entry.name, entry.pid)
        if key not in self._versions:
            docs = await self._fetch_documents(http, entry)
            self._versions[key] = [str(d["document"]["info"]["version"]) for d in docs]
        return self._versions[key]

    async def documents(self, name: str) -> dict[str, Any]:
        """The OpenAPI documents service ``name`` serves, read from the service."""
        entry = self._entry(name)
        async with self._client() as http:
            try:
                docs = await self._fetch_documents(http, entry)
            except httpx.HTTPError as exc:
                raise Problem(
                    502, "console.unreachable", f"{name} at {entry.url}: {type(exc).__name__}"
                ) from None
        return {"service": name, "url": entry.url, "documents": docs}

    async def _fetch_documents(
        self, http: httpx.AsyncClient, entry: ServiceEntry
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for prefix in entry.prefixes or ("",):
            answer = await http.get(f"{entry.own_url}{prefix}/openapi.json")
            if answer.status_code == 200:
                out.append({"prefix": prefix, "document": answer.json()})
        return out

    def _entry(self, name: str) -> ServiceEntry:
        entry = self.system.services().get(name)
        if entry is None:
            raise Problem(404, "console.unknown_service", f"no service {name!r} in the project")
        return entry

    # -- traces ----------------------------------------------------------------------

    async def service_map(self) -> dict[str, Any]:
        """The services (as nodes) and the calls between them (as edges)."""
        spans = await asyncio.to_thread(self.store.spans)
        found = edges(spans)
        nodes = list(self.system.services())
        for edge in found:
            nodes.extend(n for n in (edge.source, edge.target) if n not in nodes)
        return {"nodes": nodes, "edges": [msgspec.structs.asdict(e) for e in found]}

    async def traces(self, last: int) -> dict[str, Any]:
        """The ``last`` newest traces."""
        summaries = await asyncio.to_thread(self.store.recent, last)
        return {"traces": msgspec.to_builtins(summaries)}

    async def trace(self, prefix: str) -> dict[str, Any]:
        """One trace's spans as waterfall rows."""
        prefix = prefix.lower()
        if not valid_prefix(prefix):
            raise Problem(400, "console.bad_trace_id", "a trace id is 8 to 32 hex digits")
        try:
            trace_id, rows = await asyncio.to_thread(self.store.trace, prefix)
        except UnknownTrace:
            raise Problem(404, "console.unknown_trace", f"no trace {prefix} yet") from None
        except AmbiguousTrace:
            raise Problem(409, "console.ambiguous_trace", f"{prefix} names several") from None
        return {"trace_id": trace_id, "spans": msgspec.to_builtins(rows)}

    # -- flags, configuration, rollouts ----------------------------------------------

    async def flags(self) -> dict[str, Any]:
        """Every environment's flags."""
        return await asyncio.to_thread(flags.flags_by_environment, self.system.project.root)

    async def configuration(self, authorization: str | None) -> dict[str, Any]:
        """Each service's configuration version, where accord has it (read with the
        page's token, which needs the services' admin scope)."""
        urls = {name: e.own_url for name, e in self.system.services().items()}
        async with self._client() as http:
            return await releases.configuration(http, urls, authorization)

    async def rollouts(self) -> dict[str, Any]:
        """Rollouts in progress, where accord has them."""
        return await asyncio.to_thread(releases.rollouts, self.system.project.home)

    # -- try it ----------------------------------------------------------------------

    async def try_request(self, body: bytes) -> dict[str, Any]:
        """Send the request the page composed to the service it names."""
        try:
            wanted = msgspec.json.decode(body, type=TryRequest)
        except msgspec.DecodeError as exc:
            raise Problem(422, "console.bad_request", str(exc)) from None
        wanted.method = wanted.method.upper()
        if wanted.method not in METHODS:
            raise Problem(422, "console.bad_request", f"method {wanted.method!r} is not HTTP's")
        if bad_path(wanted.path):
            raise Problem(422, "console.bad_request", "path must start with a single /")
        entry = self._entry(wanted.service)
        async with self._client(30.0) as http:
            try:
                answer = await send(http, entry.url, wanted)
            except httpx.HTTPError as exc:
                raise Problem(
                    502, "console.unreachable", f"{entry.name} at {entry.url}: {exc!r}"
                ) from None
        return msgspec.structs.asdict(answer)


def _detail(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("detail", ""))
    except (ValueError, AttributeError):
        return answer.text[:200]
