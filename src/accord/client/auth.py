"""A typed client's own credentials: the headers that authenticate each of its calls.

A service calling another with a token of its own gives its clients an ``auth`` hook
instead of passing headers at every call site::

    tokens = ClientCredentials.with_private_key(token_url, "my-service", key_file, scopes=SCOPES)
    client = Inventory.client(url, auth=BearerAuth(tokens))
    await client.reserve(request)          # sent with "authorization: Bearer …"

Before a call is sent, :class:`~accord.client.ClientCore` asks the hook for its
:meth:`~ClientAuth.headers` (a header the call passes itself wins); when the call is
answered 401 (:class:`~accord.errors.Unauthenticated`) it tells the hook
(:meth:`~ClientAuth.refused`), so the next call asks for a new token (after a signing
key was withdrawn, say). When no token can be had, the call raises
:class:`TokenUnavailable` and nothing is sent.

:class:`BearerAuth` takes any :class:`TokenSource`: ``accord.security.tokens.
ClientCredentials`` is one, and so is any object that can give a token and forget it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import httpx

from accord.errors import ClientError
from accord.security.tokens import InvalidToken

__all__ = ["BearerAuth", "ClientAuth", "TokenSource", "TokenUnavailable"]


class TokenUnavailable(ClientError):
    """No token could be had to authenticate the call, so it was not sent.

    ``cause`` is why (the token endpoint refused, or could not be reached).
    """


class TokenSource(Protocol):
    """Access tokens, cached by their source (``ClientCredentials``)."""

    async def token(self) -> str:
        """A token valid for a while yet."""
        ...

    def invalidate(self) -> None:
        """Forget the cached token: a server refused it."""
        ...


class ClientAuth(Protocol):
    """What a client's ``auth`` hook does: headers for each call, and hearing of a 401."""

    async def headers(self) -> Mapping[str, str]:
        """The headers that authenticate the next call; :class:`TokenUnavailable` when
        there are none to be had."""
        ...

    def refused(self) -> None:
        """The server answered 401 to the headers given last."""
        ...


class BearerAuth:
    """Sends ``tokens``' token as ``authorization: Bearer …``; drops it after a 401."""

    def __init__(self, tokens: TokenSource) -> None:
        self.tokens = tokens

    async def headers(self) -> Mapping[str, str]:
        """``{"authorization": "Bearer <token>"}``; :class:`TokenUnavailable` when the
        token endpoint refuses or cannot be reached."""
        try:
            token = await self.tokens.token()
        except (InvalidToken, httpx.HTTPError) as exc:
            raise TokenUnavailable(f"no token: {exc}") from exc
        return {"authorization": f"Bearer {token}"}

    def refused(self) -> None:
        """Forget the cached token, so the next call asks for a new one."""
        self.tokens.invalidate()
