"""The client certificate of the request being served, as the use cases want it.

Over mutual TLS the handshake has already checked the certificate (it chains to the
project's CA, names one SPIFFE id of its trust domain: ``accord.security.tls``); the
client it names is the last segment of that id (``spiffe://shop.local/orders`` →
``orders``), and the token will be bound to its ``x5t#S256`` thumbprint.
"""

from __future__ import annotations

from accord.runtime.peer import peer_certificate
from accord.security.binding import thumbprint
from accord.security.certfiles import read_certificate
from accord.security.spiffe import InvalidSpiffeId, SpiffeId
from shop.identity.application.ports import ClientCertificate

__all__ = ["presented_certificate"]


def presented_certificate() -> ClientCertificate | None:
    """The certificate of this request's connection; ``None`` over plain HTTP."""
    der = peer_certificate()
    if der is None:
        return None
    try:
        uris = read_certificate(der).uris
        ident = SpiffeId.parse(uris[0]) if len(uris) == 1 else None
    except (ValueError, InvalidSpiffeId):
        ident = None
    name = ident.path.rsplit("/", 1)[-1] if ident is not None else ""
    return ClientCertificate(client_id=name, thumbprint=thumbprint(der))
