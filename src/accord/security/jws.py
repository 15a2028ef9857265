"""Compact JWS signing with Ed25519 (RFC 7515 §7.1, RFC 8037 ``EdDSA``), without PyJWT.

The identity service signs access tokens (:meth:`accord.security.KeyRing.sign`) and a
client signs its assertions (:func:`accord.security.sign_assertion`) here: PyJWT and the
parts of ``cryptography`` it imports (about 2 MiB in a service) are not loaded for a
header, a payload and one signature. The output is the one PyJWT gives for the same
claims (its JSON: compact separators, the header's keys sorted; Ed25519 signatures are
deterministic), which a test checks. Tokens are verified by :mod:`accord.security.tokens`.

:class:`Ed25519Signer` is an Ed25519 private key signing with libsodium (PyNaCl), read
from and written as the PKCS #8 PEM ``cryptography`` writes: the identity service signs
without loading ``cryptography``. :func:`sign_eddsa` takes it or ``cryptography``'s key.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from calendar import timegm
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from nacl.bindings import crypto_sign, crypto_sign_seed_keypair

from accord.security.jwks import Ed25519Key

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = ["Ed25519Signer", "sign_eddsa"]

#: The DER of an Ed25519 private key in PKCS #8 (RFC 8410 §7) before its 32-byte seed.
_PKCS8_PREFIX = bytes.fromhex("302e020100300506032b657004220420")
_PEM_BEGIN, _PEM_END = b"-----BEGIN PRIVATE KEY-----\n", b"\n-----END PRIVATE KEY-----\n"


class Ed25519Signer:
    """An Ed25519 private key (its 32-byte seed) that signs with libsodium."""

    __slots__ = ("_public", "_secret")

    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise ValueError("an Ed25519 seed is 32 bytes")
        self._public, self._secret = crypto_sign_seed_keypair(seed)

    @classmethod
    def generate(cls) -> Ed25519Signer:
        """A new random key."""
        return cls(os.urandom(32))

    @classmethod
    def from_pem(cls, pem: bytes) -> Ed25519Signer:
        """The key of a PKCS #8 PEM in the one form written by :meth:`pem` (and by
        ``cryptography``); anything else is a ``ValueError``."""
        if not (pem.startswith(_PEM_BEGIN) and pem.endswith(_PEM_END)):
            raise ValueError("not an unencrypted Ed25519 PKCS #8 PEM")
        try:
            der = base64.b64decode(pem[len(_PEM_BEGIN) : -len(_PEM_END)], validate=True)
        except binascii.Error:
            raise ValueError("not an unencrypted Ed25519 PKCS #8 PEM") from None
        if len(der) != 48 or not der.startswith(_PKCS8_PREFIX):
            raise ValueError("not an unencrypted Ed25519 PKCS #8 PEM")
        return cls(der[16:])

    def pem(self) -> bytes:
        """The key as PKCS #8 PEM, unencrypted (byte for byte ``cryptography``'s)."""
        der = _PKCS8_PREFIX + self._secret[:32]
        return _PEM_BEGIN + base64.b64encode(der) + _PEM_END

    def sign(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``data``."""
        return crypto_sign(data, self._secret)[:64]

    def public_key(self) -> Ed25519Key:
        """The public half."""
        return Ed25519Key(self._public)


_TIME_CLAIMS = ("exp", "iat", "nbf")


def sign_eddsa(
    claims: Mapping[str, Any], key: Ed25519Signer | Ed25519PrivateKey, headers: Mapping[str, Any]
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
