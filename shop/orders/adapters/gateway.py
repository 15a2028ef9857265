"""What orders' gateways to other services share: a typed client, built, tuned and closed."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, Self, TypeVar, cast

import httpx

from accord.client import ClientAuth, reconfigure
from accord.contract import Contract
from accord.observability.telemetry import Telemetry

__all__ = ["Gateway"]

C = TypeVar("C", bound=Contract)


class Gateway(Generic[C]):
    """A port spoken to another service through its typed client (of ``contract``)."""

    #: The other service's contract.
    contract: ClassVar[type[Contract]]

    def __init__(self, client: C) -> None:
        self._client = client

    @classmethod
    def connect(
        cls,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        telemetry: Telemetry | None = None,
        auth: ClientAuth | None = None,
    ) -> Self:
        """A gateway over a typed client at ``base_url``; ``auth`` authenticates its calls
        as orders (``accord.client.BearerAuth``: orders' own token)."""
        client = cls.contract.client(base_url, transport=transport, telemetry=telemetry, auth=auth)
        return cls(cast(C, client))

    async def aclose(self) -> None:
        """Close the client's connections."""
        await self._client.aclose()

    def reconfigure(self, *, retry: Any, breaker: Any) -> None:
        """Retry and break with new figures from now on (orders' settings reloaded)."""
        reconfigure(self._client, retry=retry, breaker=breaker)
