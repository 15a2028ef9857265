"""JSON Web Keys: the public keys that verify access tokens, and a cache of them.

:class:`KeySet` holds :class:`VerificationKey` values by ``kid``. It is filled either once
(:meth:`KeySet.static`) or from one URL (:meth:`KeySet.from_url`): an unknown ``kid`` makes
it fetch again, at most once per ``refresh_interval`` seconds, and a failed fetch keeps the
keys it had. It never fetches anything a token names, and only Ed25519 (``EdDSA``) and
P-256 (``ES256``) public keys are ever taken from a document: a key's type fixes its one
algorithm, so no token can choose how its key is used.

An Ed25519 key taken from a document is an :class:`Ed25519Key` (its 32 raw bytes),
verified with libsodium (PyNaCl): a service that only verifies tokens does not load
``cryptography`` (about 8 MiB resident with its Rust library). ``cryptography``'s keys
are still taken everywhere a :data:`PublicKey` is, and P-256 keys are still
``cryptography``'s, loaded with the first one.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import anyio
import httpx
import msgspec
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from accord.security.binding import b64decode

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

__all__ = [
    "MAX_JWKS_BYTES",
    "Ed25519Key",
    "KeySet",
    "PublicKey",
    "VerificationKey",
    "b64decode",
    "public_jwk",
]

#: A JWKS document larger than this is not read.
MAX_JWKS_BYTES: Final = 65536

logger = logging.getLogger("accord.security.jwks")


@dataclass(frozen=True, slots=True)
class Ed25519Key:
    """An Ed25519 public key as its 32 raw bytes (RFC 8037's ``x``), verified with
    libsodium."""

    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Whether ``signature`` (64 bytes) signs ``message`` under this key."""
        if len(signature) != 64:
            return False
        try:
            crypto_sign_open(signature + message, self.raw)
        except BadSignatureError:
            return False
        return True


if TYPE_CHECKING:
    PublicKey = Ed25519Key | ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey


def __getattr__(name: str) -> Any:
    # ``PublicKey`` names cryptography's classes: built on first use, so that importing
    # this module does not load cryptography.
    if name == "PublicKey":
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519

        alias = Ed25519Key | ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
        globals()["PublicKey"] = alias
        return alias
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


Clock = Callable[[], float]


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """A public key, its ``kid`` and the one algorithm its type allows."""

    kid: str
    algorithm: str
    key: PublicKey

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (JWS form) signs ``message`` under this key."""
        key = self.key
        if type(key) is Ed25519Key:
            return key.verify(signature, message)
        return _verify_with_cryptography(key, message, signature)

    def same_as(self, other: VerificationKey) -> bool:
        """Whether ``other`` is this key (same kid, algorithm and public key)."""
        return (self.kid, self.algorithm) == (other.kid, other.algorithm) and public_jwk(
            self.kid, self.key
        ) == public_jwk(other.kid, other.key)

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> VerificationKey | None:
        """The key a JWK describes, or ``None`` when it is not a usable signing key.

        Only Ed25519 (``OKP``) and P-256 (``EC``) public keys are taken; a JWK with a
        private part (``d``), symmetric keys, keys for encryption, or an ``alg`` other than
        the one its type allows are left out.
        """
        kid = jwk.get("kid")
        if not isinstance(kid, str) or not kid or "d" in jwk:
            return None
        if jwk.get("use", "sig") != "sig":
            return None
        ops = jwk.get("key_ops")
        if ops is not None and (not isinstance(ops, list) or "verify" not in ops):
            return None
        try:
            key: PublicKey
            kty, crv = jwk.get("kty"), jwk.get("crv")
            if kty == "OKP" and crv == "Ed25519":
                algorithm = "EdDSA"
                key = Ed25519Key(b64decode(jwk["x"]))
            elif kty == "EC" and crv == "P-256":
                from cryptography.hazmat.primitives.asymmetric import ec

                algorithm = "ES256"
                x, y = b64decode(jwk["x"]), b64decode(jwk["y"])
                if len(x) != 32 or len(y) != 32:
                    return None
                numbers = ec.EllipticCurvePublicNumbers(
                    int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
                )
                key = numbers.public_key()
            else:
                return None
        except (KeyError, TypeError, ValueError):
            return None
        if jwk.get("alg", algorithm) != algorithm:
            return None
        return cls(kid=kid, algorithm=algorithm, key=key)


def _verify_with_cryptography(key: PublicKey, message: bytes, signature: bytes) -> bool:
    """A signature check by a key of ``cryptography`` (Ed25519 or P-256)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, message)
        else:
            assert isinstance(key, ec.EllipticCurvePublicKey)
            if len(signature) != 64:
                return False
            r = int.from_bytes(signature[:32], "big")
            s = int.from_bytes(signature[32:], "big")
            key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


def public_jwk(kid: str, key: PublicKey) -> dict[str, str]:
    """The JWK of a public key (``use: sig`` and its one ``alg``)."""
    if type(key) is Ed25519Key:
        return _okp_jwk(kid, key.raw)
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    if isinstance(key, ed25519.Ed25519PublicKey):
        return _okp_jwk(kid, key.public_bytes(Encoding.Raw, PublicFormat.Raw))
    assert isinstance(key, ec.EllipticCurvePublicKey)
    if not isinstance(key.curve, ec.SECP256R1):
        raise ValueError(f"unsupported curve {key.curve.name}")
    numbers = key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64encode(numbers.x.to_bytes(32, "big")),
        "y": _b64encode(numbers.y.to_bytes(32, "big")),
        "kid": kid,
        "use": "sig",
        "alg": "ES256",
    }


def _okp_jwk(kid: str, raw: bytes) -> dict[str, str]:
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _b64encode(raw),
        "kid": kid,
        "use": "sig",
        "alg": "EdDSA",
    }


def _parse_jwks(document: Any) -> dict[str, VerificationKey]:
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document")
    found: dict[str, VerificationKey] = {}
    for jwk in document["keys"]:
        key = VerificationKey.from_jwk(jwk) if isinstance(jwk, Mapping) else None
        if key is not None:
            found[key.kid] = key
    return found


Fetch = Callable[[], Awaitable[bytes]]


class KeySet:
    """A cache of verification keys by ``kid``, refreshed from one JWKS source.

    A lookup of an unknown ``kid`` refreshes the set, at most once per
    ``refresh_interval`` seconds (failed attempts count); a lookup after ``max_age``
    refreshes too, under the same throttle. A refresh that fails (endpoint down, bad
    document) keeps the keys already known. ``fetches`` and ``failures`` count attempts.
    """

    def __init__(
        self,
        keys: Mapping[str, VerificationKey] | None = None,
        *,
        fetch: Fetch | None = None,
        refresh_interval: float = 10.0,
        max_age: float = 300.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self._keys: dict[str, VerificationKey] = dict(keys or {})
        self._fetch = fetch
        self._refresh_interval = refresh_interval
        self._max_age = max_age
        self._clock = clock
        self._last_attempt: float | None = None
        self._last_success: float | None = None
        self._lock = anyio.Lock()
        self.fetches = 0
        self.failures = 0

    @classmethod
    def static(cls, jwks: Mapping[str, Any]) -> KeySet:
        """A key set that never fetches: the keys of one JWKS document."""
        return cls(_parse_jwks(jwks))

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        refresh_interval: float = 10.0,
        max_age: float = 300.0,
        timeout: float = 2.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = time.monotonic,
    ) -> KeySet:
        """A key set fetched with ``GET url`` (no redirects, at most 64 KiB), lazily."""

        async def fetch() -> bytes:
            async with (
                httpx.AsyncClient(
                    transport=transport, timeout=timeout, follow_redirects=False
                ) as client,
                client.stream("GET", url, headers={"accept": "application/json"}) as response,
            ):
                response.raise_for_status()
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_JWKS_BYTES:
                        raise ValueError("JWKS document too large")
                return bytes(body)

        return cls(fetch=fetch, refresh_interval=refresh_interval, max_age=max_age, clock=clock)

    @property
    def kids(self) -> frozenset[str]:
        """The key ids known now."""
        return frozenset(self._keys)

    def _may_fetch(self) -> bool:
        if self._fetch is None:
            return False
        last = self._last_attempt
        return last is None or self._clock() - last >= self._refresh_interval

    async def refresh(self) -> bool:
        """Fetch the document now if the throttle allows; whether the keys were replaced."""
        async with self._lock:
            if self._fetch is None or not self._may_fetch():
                return False
            self._last_attempt = self._clock()
            self.fetches += 1
            try:
                keys = _parse_jwks(msgspec.json.decode(await self._fetch()))
            except Exception as exc:  # the endpoint is down or answers nonsense: keep the cache
                self.failures += 1
                logger.warning(
                    "key set refresh failed; keeping %d cached keys: %s: %s",
                    len(self._keys),
                    type(exc).__name__,
                    " ".join(str(exc).split())[:200],
                )
                return False
            # Keep the objects of keys that did not change: verifiers remember tokens by
            # the key object that verified them.
            for kid, key in keys.items():
                old = self._keys.get(kid)
                if old is not None and old.same_as(key):
                    keys[kid] = old
            self._keys = keys
            self._last_success = self._clock()
            return True

    def _stale(self) -> bool:
        return self._last_success is None or self._clock() - self._last_success >= self._max_age

    async def get(self, kid: str) -> VerificationKey | None:
        """The key ``kid`` names (``None`` if unknown), refreshing first when it is
        unknown or the set is older than ``max_age`` and the throttle allows.

        An unknown key asked for while a fetch is in flight waits for that fetch (a
        service just started answers its first requests once the keys are in, rather
        than refusing them from the still-empty cache).
        """
        key = self._keys.get(kid)
        if key is None and self._lock.locked():
            async with self._lock:
                pass
            key = self._keys.get(kid)
        if (key is None or (self._stale() and not self._lock.locked())) and self._may_fetch():
            await self.refresh()
            key = self._keys.get(kid)
        return key
