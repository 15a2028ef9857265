"""``GET /.well-known/jwks.json``: the key set where verifiers look for it first.

The contract serves the same document at ``/v1/jwks``; this is the unversioned,
conventional location (RFC 8414 §3's ``jwks_uri``), answered before the runtime's router.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from accord.runtime import App
from accord.runtime.types import Receive, Scope, Send

__all__ = ["JWKS_PATH", "IdentityApp"]

#: Where the key set is served outside the versioned API.
JWKS_PATH = "/.well-known/jwks.json"


class IdentityApp(App):
    """An :class:`~accord.runtime.App` that also answers ``GET /.well-known/jwks.json``."""

    def __init__(self, *args: Any, jwks: Callable[[], Mapping[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._jwks = jwks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point: the key set here, everything else to the runtime."""
        if scope["type"] == "http" and scope["path"] == JWKS_PATH and scope["method"] == "GET":
            body = msgspec.json.encode(self._jwks())
            headers = [
                (b"content-type", b"application/jwk-set+json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"public, max-age=60"),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await super().__call__(scope, receive, send)
