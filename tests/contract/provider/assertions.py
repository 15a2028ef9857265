"""An ASGI middleware that re-signs the client assertion of a replayed token request.

A client assertion (RFC 7523) lives a minute and is taken once, so the example a pact
records cannot be replayed as it is, later, to a provider that rightly refuses it. Like
Pact's request filters for credentials that expire, the verification replaces it, in a
``POST /v1/token`` body, with a fresh assertion signed by the same consumer's own key for
the provider's token endpoint. Everything else of the request is the pact's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from accord.security.clientkeys import ClientKey, sign_assertion

__all__ = ["FreshAssertions"]

Message = dict[str, Any]


class FreshAssertions:
    """Wrap ``app``; re-sign ``client_assertion`` with ``keys[client_id]`` for ``audience``."""

    def __init__(self, app: Any, keys: Mapping[str, ClientKey], *, audience: str) -> None:
        self.app = app
        self.keys = dict(keys)
        self.audience = audience

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/v1/token":
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = self._fresh(b"".join(chunks))
        headers = [
            (k, str(len(body)).encode() if k.lower() == b"content-length" else v)
            for k, v in scope.get("headers", [])
        ]
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app({**scope, "headers": headers}, replay, send)

    def _fresh(self, body: bytes) -> bytes:
        try:
            document = json.loads(body)
        except ValueError:
            return body
        key = self.keys.get(document.get("client_id")) if isinstance(document, dict) else None
        if key is None or "client_assertion" not in document:
            return body
        client_id = document["client_id"]
        document["client_assertion"] = sign_assertion(key, client_id, self.audience)
        return json.dumps(document).encode()
