"""A bound on how long a kept-alive connection carries requests: its maximum age.

Behind a layer-4 balancer (Envoy passing mutual TLS through, docs/decisions/
0018-encrypted-by-default.md) a connection is weighed once, when it opens: a client that
keeps it alive keeps talking to the version it first reached, whatever the weights say
afterwards. gRPC's answer is ``MAX_CONNECTION_AGE``; this is the same for HTTP/1.1: once
a connection is older than ``seconds``, the next response carries ``connection: close``,
the client opens a new connection for its next request, and the balancer weighs that
one. No request is cut: the close is announced in a complete response (RFC 9112 §9.6).

:func:`max_age_protocol` wraps uvicorn's HTTP protocol class (httptools or h11): each
connection is one protocol object, so the wrapper stamps it when it is made and wraps
the ASGI app it calls. The cost is one clock read per request.
"""

from __future__ import annotations

import asyncio
from time import monotonic
from typing import Any

__all__ = ["AGE_VARIABLE", "max_age_protocol"]

#: Environment variable: seconds after which a connection is closed after its response.
AGE_VARIABLE = "ACCORD_CONNECTION_MAX_AGE"

_CLOSE = (b"connection", b"close")


def max_age_protocol(base: type[asyncio.Protocol], seconds: float) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol ``base``, announcing ``connection: close`` in the first
    response of a connection older than ``seconds``."""
    if seconds <= 0:
        raise ValueError(f"the connection age must be positive, not {seconds}")

    class MaxAge(base):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.app = _aged(getattr(self, "app"), monotonic() + seconds)  # noqa: B009

    return MaxAge


def _aged(app: Any, until: float) -> Any:
    async def aged(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or monotonic() < until:
            await app(scope, receive, send)
            return

        async def closing(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), _CLOSE]}
            await send(message)

        await app(scope, receive, closing)

    return aged
