"""An ASGI middleware that drops one field from JSON responses: a provider that broke.

It lets a test show what verification says when a provider stops sending a field a
consumer reads, without touching the provider's code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

__all__ = ["WithoutField"]

Message = dict[str, Any]


class WithoutField:
    """Wrap ``app``; in JSON bodies (problem documents too) remove ``path``.

    ``path`` is a sequence of keys; ``"*"`` stands for every item of a list, so
    ``("lines", "*", "unit_price_cents")`` drops the price of every line.
    """

    def __init__(self, app: Any, path: Sequence[str]) -> None:
        self.app = app
        self.path = tuple(path)

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = self._strip(start, b"".join(chunks))
            headers = [
                (k, str(len(body)).encode() if k.lower() == b"content-length" else v)
                for k, v in start.get("headers", [])
            ]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)

    def _strip(self, start: Message, body: bytes) -> bytes:
        content_type = dict(start.get("headers", [])).get(b"content-type", b"")
        if b"json" not in content_type or not body:
            return body
        document = json.loads(body)
        _drop(document, self.path)
        return json.dumps(document).encode()


def _drop(node: Any, path: tuple[str, ...]) -> None:
    head, rest = path[0], path[1:]
    if head == "*" and isinstance(node, list):
        targets = node
    elif isinstance(node, dict) and head in node:
        if not rest:
            del node[head]
            return
        targets = [node[head]]
    else:
        return
    for target in targets:
        if rest:
            _drop(target, rest)
