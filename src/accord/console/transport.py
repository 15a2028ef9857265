"""How the console calls a system that runs over mutual TLS: as the supervisor.

Under ``accord up`` (mutual TLS by default) every service asks its callers for a
certificate of the project's CA. The console presents the supervisor's
(``accord-supervisor``, which every service admits) and accepts, on each port, only the
SPIFFE id of the service listening there: the run file says which service is on which
port (its listener, its own process's port, and its other versions'). One transport
per service, kept for the console's life, so connections are reused across requests.
"""

from __future__ import annotations

from pathlib import Path

import httpx

__all__ = ["ByService"]


class ByService(httpx.AsyncBaseTransport):
    """Mutual TLS to whichever service listens on a request's port."""

    def __init__(self, tls_dir: Path, ports: dict[int, str]) -> None:
        self.tls_dir = tls_dir
        self.ports = ports

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` over mutual TLS to the service of its port."""
        from accord.rollout.scrape import transport_for

        service = self.ports.get(request.url.port or 0)
        if service is None:
            raise httpx.ConnectError(f"no service of the project on {request.url}", request=request)
        return await transport_for(self.tls_dir, service).handle_async_request(request)

    async def aclose(self) -> None:
        """Nothing: the per-service transports outlive one client (and reopen if closed)."""
