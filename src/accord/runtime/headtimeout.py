"""A bound on the time a client may take to send a request head.

uvicorn waits for a request head as long as the client keeps the connection open: 40
connections that each sent a header byte now and then were all held for as long as the
client liked (slowloris), and a connection that sends nothing at all is held forever.
Its ``timeout_keep_alive`` covers only the pause *between* requests.

:func:`head_timeout_protocol` wraps uvicorn's HTTP protocol class (httptools or h11; it
relies only on what both share: ``connection_made``, ``data_received``,
``connection_lost`` and the current request ``cycle``). A timer starts when a connection
opens, and when the first bytes of a next request arrive on a kept-alive one; it is
cancelled as soon as the server has parsed a whole head (a new ``cycle`` exists). When it
fires, the connection is closed without an answer, as nginx does for its
``client_header_timeout``, and ``on_cut`` is called (the app counts
``accord_server_head_timeouts_total``). The body is not bounded here: once the head is
in, the operation's deadline governs. See ``docs/decisions/0008-request-head-timeout.md``.

The cost is one timer handle per request (``loop.call_later``, cancelled) and two
attribute checks per ``data_received``.
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
        _armed_for: Any = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm_head_timer()

        def data_received(self, data: bytes) -> None:
            if self._head_timer is None and (self.cycle is None or self.cycle.response_complete):
                self._arm_head_timer()  # the first bytes of a next request
            super().data_received(data)
            if self._head_timer is not None and self.cycle is not self._armed_for:
                self._head_timer.cancel()  # a whole head was parsed
                self._head_timer = None

        def connection_lost(self, exc: Exception | None) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None
            super().connection_lost(exc)

        def _arm_head_timer(self) -> None:
            self._armed_for = self.cycle
            self._head_timer = asyncio.get_running_loop().call_later(seconds, self._head_timed_out)

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if not self.transport.is_closing():
                on_cut()
                self.transport.close()

    HeadTimeout.__name__ = HeadTimeout.__qualname__ = f"HeadTimeout{base.__name__}"
    return HeadTimeout
