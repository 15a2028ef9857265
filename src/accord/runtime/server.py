"""Serving an ``App`` with uvicorn, and stopping it gracefully.

On SIGTERM or SIGINT: readiness answers 503 at once, the server keeps serving for
``drain_delay`` seconds (so a load balancer sees the 503 and stops sending), then stops
accepting, lets in-flight requests finish within ``shutdown_timeout``, runs the lifespan
shutdown and returns. A second signal stops at once.

A request the HTTP parser cannot read (a control character in a header, a malformed
request line) never reaches the app; uvicorn answers it 400 itself, and here that answer
is a problem document too (``bad_request``) instead of uvicorn's plain text.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Sequence
from types import FrameType
from typing import Any

import msgspec
import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from accord.errors import BadRequest
from accord.runtime.app import App
from accord.runtime.connage import max_age_protocol
from accord.runtime.headtimeout import DEFAULT_HEAD_TIMEOUT, head_timeout_protocol
from accord.runtime.onewrite import one_write_protocol
from accord.runtime.peer import peer_protocol
from accord.runtime.problems import TYPE_PREFIX
from accord.runtime.responses import PROBLEM_JSON

__all__ = ["serve"]

logger = logging.getLogger("accord.runtime")

#: The most bytes of a request head h11 buffers before it refuses the request.
_MAX_HEAD_BYTES = 64 * 1024

_NOT_HTTP = msgspec.json.encode(
    {
        "type": TYPE_PREFIX + BadRequest.code,
        "title": BadRequest.title,
        "status": 400,
        "detail": "the request is not valid HTTP/1.1",
        "code": BadRequest.code,
    }
)


def _problem_protocol(base: type[asyncio.Protocol]) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol ``base``, answering requests it cannot parse with a problem."""

    def send_400_response(self: Any, msg: str) -> None:
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: ",
            PROBLEM_JSON,
            b"\r\ncontent-length: %d\r\nconnection: close\r\n\r\n" % len(_NOT_HTTP),
            _NOT_HTTP,
        ]
        self.transport.write(b"".join(head))
        self.transport.close()

    return type(f"Problem{base.__name__}", (base,), {"send_400_response": send_400_response})


class _DrainingServer(uvicorn.Server):
    """uvicorn's server with a drain delay; a signal ends it with exit status 0."""

    def __init__(self, config: uvicorn.Config, app: App, drain_delay: float) -> None:
        super().__init__(config)
        self._app = app
        self._drain_delay = drain_delay
        self._drain_until: float | None = None
        self._announced = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Runs as a signal handler: no logging or locks here, only flags.
        if self._drain_until is None:
            self._app.begin_shutdown()
            self._drain_until = time.monotonic() + self._drain_delay
        else:
            self.should_exit = True
            self.force_exit = True

    async def on_tick(self, counter: int) -> bool:
        if self._drain_until is not None and not self.should_exit:
            if not self._announced:
                self._announced = True
                logger.info("draining for %.1fs before shutdown", self._drain_delay)
            if time.monotonic() >= self._drain_until:
                self.should_exit = True
        return bool(await super().on_tick(counter))


def serve(
    app: App,
    *,
    host: str = "127.0.0.1",
    port: int,
    shutdown_timeout: float = 10.0,
    drain_delay: float = 0.0,
    tls: ssl.SSLContext | None = None,
    head_timeout: float = DEFAULT_HEAD_TIMEOUT,
    forwarded_allow_ips: Sequence[str] = (),
    connection_max_age: float | None = None,
) -> None:
    """Run ``app`` on ``host:port`` until SIGTERM/SIGINT, then shut down gracefully.

    One worker, uvloop and httptools when installed, no access log (the app writes its
    own request lines); uvicorn's and every library's stdlib logs become JSON lines of
    the app's telemetry. With ``tls`` (e.g. :func:`accord.security.tls.server_context`)
    it serves HTTPS on that context, and each request knows the client's certificate
    (:mod:`accord.runtime.peer`). A client gets ``head_timeout`` seconds to send a
    request head (:mod:`accord.runtime.headtimeout`); slower, its connection is closed.

    ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed only from the proxies
    ``forwarded_allow_ips`` names (addresses or networks; none by default): from any
    other peer they are ignored, and the client address is the peer's. uvicorn's own
    default trusts loopback and reads ``$FORWARDED_ALLOW_IPS``; neither applies here.

    With ``connection_max_age`` a kept-alive connection older than that many seconds is
    closed after its next response, announced (:mod:`accord.runtime.connage`), so a
    layer-4 balancer in front weighs the client's next connection afresh.
    """
    app.telemetry.capture_stdlib_logging()
    # A response's head goes out with its body, in one write (accord.runtime.onewrite).
    protocol: type[asyncio.Protocol] = one_write_protocol(AutoHTTPProtocol)
    if tls is not None:  # each request knows the client's certificate (accord.runtime.peer)
        protocol = peer_protocol(protocol)
    if connection_max_age is not None:
        protocol = max_age_protocol(protocol, connection_max_age)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="auto",
        http=_problem_protocol(
            head_timeout_protocol(protocol, head_timeout, app.telemetry.metrics.count_head_timeout)
        ),
        lifespan="on",
        access_log=False,
        log_config=None,
        server_header=False,
        # Forwarded headers only from the proxies named; none by default.
        proxy_headers=bool(forwarded_allow_ips),
        forwarded_allow_ips=list(forwarded_allow_ips),
        # The whole request head under h11 (httptools sets no limit of its own); the
        # app's Limits check every head again (431), whichever parser read it.
        h11_max_incomplete_event_size=_MAX_HEAD_BYTES,
        # Annotated int, used as a float by asyncio.wait_for.
        timeout_graceful_shutdown=shutdown_timeout,  # type: ignore[arg-type]
        ssl_context_factory=None if tls is None else (lambda _config, _default: tls),
    )
    _DrainingServer(config, app, drain_delay).run()
