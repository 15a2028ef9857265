"""Orders' own identity towards inventory and payments: a service token, sent as a bearer.

Orders obtains an access token from the identity service with its client credentials
(``accord.security.tokens.ClientCredentials``), carrying only the scopes its calls need,
and sends it with every call. A call refused with 401 drops the cached token, so the
next call asks for a new one (after a key was withdrawn, say). When the identity service
cannot give a token, the call fails as the dependency being unavailable.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

import httpx

from accord.errors import Unauthenticated
from accord.security.tokens import InvalidToken
from shop.orders.domain.exceptions import DependencyUnavailable

__all__ = ["SCOPES", "Bearer", "Credentials"]

#: The scopes orders asks for, and nothing more (``docs/security.md``): stock reserved,
#: committed and released (``inventory:reserve``); payments authorized, captured and
#: voided. Reading stock or payments, restocking, or anything of orders' own is refused.
SCOPES = (
    "inventory:reserve",
    "payments:authorize",
    "payments:capture",
    "payments:void",
)


class Credentials(Protocol):
    """A source of access tokens (``ClientCredentials``)."""

    async def token(self) -> str:
        """A token valid for a while yet."""
        ...

    def invalidate(self) -> None:
        """Forget the cached token."""
        ...


class Bearer:
    """The ``Authorization`` header of orders' calls; none without ``credentials``."""

    def __init__(self, credentials: Credentials | None = None) -> None:
        self._credentials = credentials

    async def headers(self) -> dict[str, str] | None:
        """``{"authorization": "Bearer …"}``, or ``None`` when orders sends no token.

        Raises ``DependencyUnavailable("identity", …)`` when no token can be had.
        """
        if self._credentials is None:
            return None
        try:
            token = await self._credentials.token()
        except (InvalidToken, httpx.HTTPError) as exc:
            raise DependencyUnavailable("identity", f"no service token: {exc}") from exc
        return {"authorization": f"Bearer {token}"}

    @contextmanager
    def watch(self) -> Iterator[None]:
        """Drop the cached token when a call inside the block is answered 401."""
        try:
            yield
        except Unauthenticated:
            if self._credentials is not None:
                self._credentials.invalidate()
            raise
