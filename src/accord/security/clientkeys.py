"""Clients that prove themselves with their own private key (RFC 7523 ``private_key_jwt``).

::

    <home>/client-keys/<name>.key         the client's Ed25519 private key (PEM), mode 0600
    <home>/client-keys/<name>.jwks.json   its public keys (a JWKS document), mode 0644

A client asks a token endpoint for a token with a **client assertion** instead of a shared
secret (OAuth 2.0 JWT client authentication, RFC 7523 §2.2; OpenID Connect Core §9): a
JWT it signs with its private key (:func:`sign_assertion`), ``iss`` = ``sub`` = its
client id, ``aud`` = the token endpoint's URL, a ``jti`` of its own and an ``exp`` a
minute away, sent as ``client_assertion`` with ``client_assertion_type``
:data:`ASSERTION_TYPE`. The issuer holds only the public halves
(:meth:`ClientKeys.public_jwks`) and checks an assertion with
:class:`accord.security.assertions.AssertionVerifier`.

The key pairs are made by the project (``accord up --plain``, ``accord keys client``),
like its certificates; nothing here names a service. ``cryptography`` loads when a key
is made or read: a client that authenticates with its certificate instead never does.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from accord.errors import AccordError
from accord.security.jwks import public_jwk
from accord.security.jws import sign_eddsa

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ed25519

__all__ = [
    "ASSERTION_JWT_TYPE",
    "ASSERTION_TYPE",
    "CLIENT_KEYS_DIR",
    "ClientKey",
    "ClientKeyError",
    "ClientKeys",
    "sign_assertion",
    "thumbprint_kid",
]

#: ``client_assertion_type`` of a JWT client assertion (RFC 7523 §2.2).
ASSERTION_TYPE: Final = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: The ``typ`` header of an assertion: explicit typing (RFC 8725 §3.11), so an access
#: token can never pass for one.
ASSERTION_JWT_TYPE: Final = "client-authentication+jwt"
#: The folder of the client keys under the project home.
CLIENT_KEYS_DIR: Final = "client-keys"
#: How long the assertions :func:`sign_assertion` makes live.
LIFETIME: Final = 60

Clock = Callable[[], float]


class ClientKeyError(AccordError):
    """A client key is missing or unreadable."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def thumbprint_kid(key: ed25519.Ed25519PublicKey) -> str:
    """The key's RFC 7638 JWK thumbprint (SHA-256), its ``kid``."""
    jwk = public_jwk("", key)
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x")}, separators=(",", ":"))
    return _b64(hashlib.sha256(canonical.encode()).digest())


@dataclass(frozen=True, slots=True)
class ClientKey:
    """A client's private key and its ``kid``."""

    kid: str
    private_key: ed25519.Ed25519PrivateKey


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` atomically (a temporary file renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class ClientKeys:
    """The client key pairs in one folder (``<home>/client-keys``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def under(cls, home: Path) -> ClientKeys:
        """The client keys of a project home."""
        return cls(home / CLIENT_KEYS_DIR)

    def key_path(self, name: str) -> Path:
        """The private key file of ``name``."""
        return self.folder / f"{name}.key"

    def jwks_path(self, name: str) -> Path:
        """The public key file (JWKS) of ``name``."""
        return self.folder / f"{name}.jwks.json"

    def ensure(self, names: Iterable[str]) -> list[str]:
        """Make a key pair for each of ``names`` that has none; the names made."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519

        made = []
        for name in names:
            if self.key_path(name).is_file() and self.jwks_path(name).is_file():
                continue
            key = ed25519.Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            public = key.public_key()
            document = {"keys": [public_jwk(thumbprint_kid(public), public)]}
            _write(self.key_path(name), pem, 0o600)
            _write(self.jwks_path(name), json.dumps(document, indent=2).encode(), 0o644)
            made.append(name)
        return made

    def private_key(self, name: str) -> ClientKey:
        """``name``'s private key; :class:`ClientKeyError` when missing or unreadable."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519

        path = self.key_path(name)
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError) as exc:
            raise ClientKeyError(f"no usable client key for {name} in {path}: {exc}") from None
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise ClientKeyError(f"{path} is not an Ed25519 private key")
        return ClientKey(kid=thumbprint_kid(key.public_key()), private_key=key)

    def public_jwks(self, names: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """The public keys of ``names`` in one JWKS document (missing files are skipped,
        private members are never taken)."""
        keys: list[dict[str, Any]] = []
        for name in names:
            try:
                document = json.loads(self.jwks_path(name).read_bytes())
            except (OSError, ValueError):
                continue
            found = document.get("keys") if isinstance(document, dict) else None
            keys.extend(k for k in found or () if isinstance(k, dict) and "d" not in k)
        return {"keys": keys}


def sign_assertion(
    key: ClientKey,
    client_id: str,
    audience: str,
    *,
    lifetime: int = LIFETIME,
    clock: Clock = time.time,
) -> str:
    """A client assertion (RFC 7523 §3) of ``client_id`` for the token endpoint
    ``audience``, signed with ``key`` (EdDSA)."""
    now = int(clock())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now,
        "exp": now + lifetime,
        "jti": secrets.token_urlsafe(18),
    }
    headers = {"kid": key.kid, "typ": ASSERTION_JWT_TYPE}
    return sign_eddsa(claims, key.private_key, headers)
