"""A bound on the time a client may take to send a request head.

uvicorn waits for a request head as long as the client keeps the connection open: 40
connections that each sent a header byte now and then were all held for as long as the
client liked (slowloris), and a connection that sends nothing at all is held forever.
Its ``timeout_keep_alive`` covers only the pause *between* requests.

:func:`head_timeout_protocol` wraps uvicorn's HTTP protocol class (httptools or h11; it
relies only on what both share: ``connection_made``, ``data_received``,
``connection_lost`` and the current request ``cycle``). The wait for a head starts when a
connection opens, and when the first bytes of a next request arrive on a kept-alive one;
it ends as soon as the server has parsed a whole head (a new ``cycle`` exists). A head
not in within ``seconds`` of its wait's start: the connection is closed without an
answer, as nginx does for its ``client_header_timeout``, and ``on_cut`` is called (the
app counts ``accord_server_head_timeouts_total``). The body is not bounded here: once the head is
in, the operation's deadline governs. See ``docs/decisions/0008-request-head-timeout.md``.

One timer per connection, not one per request: a request's first bytes only note the
loop's clock (a handle made and cancelled for each request costs more than 2 µs under
uvloop, on every request of a kept-alive connection). The timer is armed when a wait for
a head begins and none is pending; when it fires it cuts the connection if the head it
waits for is late, re-arms itself for the rest of the time if a later head is still
being waited for, and lapses when none is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

__all__ = ["DEFAULT_HEAD_TIMEOUT", "head_timeout_protocol"]

#: Seconds a client has to send a whole request head, from its first byte (or from the
#: connection's opening).
DEFAULT_HEAD_TIMEOUT = 5.0


def head_timeout_protocol(
    base: type[asyncio.Protocol], seconds: float, on_cut: Callable[[], None]
) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol ``base``, closing a connection whose head takes longer
    than ``seconds``; ``on_cut`` is called for each connection closed so."""
    if seconds <= 0:
        raise ValueError(f"the head timeout must be positive, not {seconds}")

    class HeadTimeout(base):  # type: ignore[valid-type,misc]
        _head_timer: asyncio.TimerHandle | None = None
        #: When the loop began waiting for the current head; None when none is awaited.
        _head_since: float | None = None
        _armed_for: Any = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._await_head()

        def data_received(self, data: bytes) -> None:
            if self._head_since is None and (self.cycle is None or self.cycle.response_complete):
                self._await_head()  # the first bytes of a next request
            super().data_received(data)
            if self._head_since is not None and self.cycle is not self._armed_for:
                self._head_since = None  # a whole head was parsed

        def connection_lost(self, exc: Exception | None) -> None:
            self._head_since = None
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None
            super().connection_lost(exc)

        def _await_head(self) -> None:
            self._armed_for = self.cycle
            loop = asyncio.get_running_loop()
            self._head_since = loop.time()
            if self._head_timer is None:
                self._head_timer = loop.call_later(seconds, self._head_check)

        def _head_check(self) -> None:
            self._head_timer = None
            since = self._head_since
            if since is None:
                return  # no head awaited: armed again when the next one is
            loop = asyncio.get_running_loop()
            left = since + seconds - loop.time()
            if left > 0:  # a later head, still in time
                self._head_timer = loop.call_later(left, self._head_check)
            elif not self.transport.is_closing():
                self._head_since = None
                on_cut()
                self.transport.close()

    HeadTimeout.__name__ = HeadTimeout.__qualname__ = f"HeadTimeout{base.__name__}"
    return HeadTimeout
