"""The client certificate of the connection a request came on (mutual TLS).

uvicorn puts nothing about TLS in the ASGI scope. :func:`peer_protocol` wraps its HTTP
protocol class: when a TLS connection is made, the peer's certificate (already checked
in the handshake: :mod:`accord.security.tls`) is read once from the transport's
``ssl_object``, and every request of that connection then carries it

- in the scope, as the ASGI TLS extension says: ``scope["extensions"]["tls"]
  ["client_cert_chain"]`` (PEM, the peer's certificate first), and
- for the code serving the request, as :func:`peer_certificate` (DER bytes).

A plain connection, or a TLS one without a client certificate, carries ``None``.
"""

from __future__ import annotations

import asyncio
import ssl
from contextvars import ContextVar
from typing import Any

__all__ = ["peer_certificate", "peer_protocol"]

_peer: ContextVar[bytes | None] = ContextVar("accord_peer_certificate", default=None)


def peer_certificate() -> bytes | None:
    """The DER certificate the client presented on this request's connection, if any."""
    return _peer.get()


class _WithPeer:
    """The app, each request told the certificate of the connection it came on."""

    __slots__ = ("_app", "_der", "_pem")

    def __init__(self, app: Any, der: bytes) -> None:
        self._app = app
        self._der = der
        self._pem = ssl.DER_cert_to_PEM_cert(der)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") in ("http", "websocket"):
            extensions = scope.setdefault("extensions", {})
            extensions["tls"] = {"client_cert_chain": [self._pem]}
        token = _peer.set(self._der)
        try:
            await self._app(scope, receive, send)
        finally:
            _peer.reset(token)


def peer_protocol(base: type[asyncio.Protocol]) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol ``base``, telling each request its peer's certificate."""

    class PeerCertificate(base):  # type: ignore[valid-type,misc]
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            ssl_object = transport.get_extra_info("ssl_object")
            der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
            if der:
                self.app = _WithPeer(self.app, der)  # type: ignore[has-type]

    PeerCertificate.__name__ = PeerCertificate.__qualname__ = f"PeerCertificate{base.__name__}"
    return PeerCertificate
