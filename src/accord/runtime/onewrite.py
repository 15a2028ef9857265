"""A response's head and body written together: one write, one segment, one wake-up.

uvicorn's HTTP protocols (httptools and h11) write a response's status line and headers
when the app sends ``http.response.start``, and its body when the app sends
``http.response.body``: two writes for every response. Each is a ``send()`` of its own,
so on a kept-alive connection (``TCP_NODELAY``, as uvloop and asyncio set it) the peer
gets two segments, and over TLS two records, and a client reading them is woken twice
for one answer.

:func:`one_write_protocol` wraps uvicorn's protocol class so that its transport holds a
response's head until the first write of its body, and sends both in one write. Nothing
else is held or reordered:

- a ``1xx`` interim response (``100 Continue``, ``101 Switching Protocols``) is written
  at once: the client waits for it before it goes on;
- a response that has no body to write (an answer to ``HEAD``, an empty body) has its
  head written when the response completes, which the protocol signals in the same call
  as the body's last message;
- closing the connection writes a held head first, as the head would have gone out
  before the close without the wrapper;
- a streamed response's head goes out with its first chunk, which is when the client
  would have something to read past the head anyway.
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["one_write_protocol"]

#: How every response head the protocols write begins (uvicorn speaks HTTP/1.1 only).
_HEAD = b"HTTP/1.1 "
_INTERIM = ord("1")


class _HeadWithBody:
    """A transport that holds a response head until the first write after it."""

    __slots__ = ("_head", "_transport")

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self._head: bytes | None = None

    def write(self, data: bytes) -> None:
        head = self._head
        if head is not None:
            self._head = None
            self._transport.write(head + data)
        elif data[:9] == _HEAD and data[9] != _INTERIM:
            self._head = bytes(data)
        else:
            self._transport.write(data)

    def release(self) -> None:
        """Write a held head now (the response had no body to write)."""
        head = self._head
        if head is not None:
            self._head = None
            self._transport.write(head)

    def close(self) -> None:
        self.release()
        self._transport.close()

    def is_closing(self) -> bool:
        return bool(self._transport.is_closing())

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def __getattr__(self, name: str) -> Any:  # the rest of the transport's interface
        return getattr(self._transport, name)


def one_write_protocol(base: type[asyncio.Protocol]) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol ``base``, writing each response's head with its body."""

    class OneWrite(base):  # type: ignore[valid-type,misc]
        def connection_made(self, transport: Any) -> None:
            super().connection_made(_HeadWithBody(transport))

        def on_response_complete(self) -> None:
            self.transport.release()
            super().on_response_complete()

    OneWrite.__name__ = OneWrite.__qualname__ = f"OneWrite{base.__name__}"
    return OneWrite
