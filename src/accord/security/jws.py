"""Compact JWS signing with Ed25519 (RFC 7515 §7.1, RFC 8037 ``EdDSA``), without PyJWT.

The identity service signs access tokens (:meth:`accord.security.KeyRing.sign`) and a
client signs its assertions (:func:`accord.security.sign_assertion`) here: PyJWT and the
parts of ``cryptography`` it imports (about 2 MiB in a service) are not loaded for a
header, a payload and one signature. The output is the one PyJWT gives for the same
claims (its JSON: compact separators, the header's keys sorted; Ed25519 signatures are
deterministic), which a test checks. Tokens are verified by :mod:`accord.security.tokens`.
"""

from __future__ import annotations

import base64
import json
from calendar import timegm
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = ["sign_eddsa"]

_TIME_CLAIMS = ("exp", "iat", "nbf")


def sign_eddsa(
    claims: Mapping[str, Any], key: Ed25519PrivateKey, headers: Mapping[str, Any]
) -> str:
    """``claims`` as a compact JWS signed with ``key``: header ``alg: EdDSA``, ``typ:
    JWT`` unless ``headers`` says otherwise, and ``headers``. ``exp``, ``iat`` and
    ``nbf`` given as datetimes become epoch seconds; ``iss`` must be a string."""
    payload = dict(claims)
    for name in _TIME_CLAIMS:
        value = payload.get(name)
        if isinstance(value, datetime):
            payload[name] = timegm(value.utctimetuple())
    if "iss" in payload and not isinstance(payload["iss"], str):
        raise TypeError("Issuer (iss) must be a string.")
    header: dict[str, Any] = {"typ": "JWT", "alg": "EdDSA", **headers}
    if not header["typ"]:
        del header["typ"]
    signing_input = b".".join(
        (
            _b64(json.dumps(header, separators=(",", ":"), sort_keys=True).encode()),
            _b64(json.dumps(payload, separators=(",", ":")).encode()),
        )
    )
    return b".".join((signing_input, _b64(key.sign(signing_input)))).decode("ascii")


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")
