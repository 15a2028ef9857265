"""Certificate-bound access tokens (RFC 8705 §3): ``cnf: {"x5t#S256": <thumbprint>}``.

The thumbprint is the base64url SHA-256 of the client certificate's DER. The identity
service writes it into a token it grants over mutual TLS; a server that is handed the
token checks it against the certificate of the connection it came on
(:class:`accord.runtime.auth.Authentication`), so a token copied elsewhere is worthless
without the private key of the certificate it is bound to.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from typing import Any, Final

import msgspec

__all__ = [
    "CONFIRMATION",
    "THUMBPRINT",
    "b64decode",
    "bound_thumbprint",
    "confirmation",
    "thumbprint",
]

#: The claim that carries the binding (RFC 7800).
CONFIRMATION: Final = "cnf"
#: The member naming the certificate's SHA-256 thumbprint (RFC 8705 §3.1).
THUMBPRINT: Final = "x5t#S256"

_SEGMENT: Final = re.compile(r"^[A-Za-z0-9_-]*$")


def b64decode(segment: str) -> bytes:
    """Strict unpadded base64url (RFC 7515 §2); ``ValueError`` for anything else."""
    if not _SEGMENT.match(segment) or len(segment) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def thumbprint(der: bytes) -> str:
    """``x5t#S256`` of a DER certificate: base64url of its SHA-256, without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode("ascii")


def confirmation(claims: Mapping[str, Any]) -> str | None:
    """The thumbprint a token's claims bind it to; ``None`` for an unbound token, ``""``
    for a ``cnf`` claim that is not a well-formed certificate binding."""
    cnf = claims.get(CONFIRMATION)
    if cnf is None:
        return None
    if not isinstance(cnf, dict):
        return ""
    value = cnf.get(THUMBPRINT)
    return value if isinstance(value, str) else ""


def bound_thumbprint(token: str) -> str | None:
    """The thumbprint a token says it is bound to, read without verifying it (for the
    holder of its own token, which it got from the issuer over TLS)."""
    try:
        payload = msgspec.json.decode(b64decode(token.split(".")[1]))
    except (IndexError, ValueError, msgspec.DecodeError):
        return None
    return confirmation(payload) or None if isinstance(payload, dict) else None
