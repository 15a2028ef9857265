"""The signing keys of a token issuer: one file, three states, rotation without downtime.

::

    <home>/<issuer>/signing-keys.json      mode 0600, replaced atomically

    {"token_lifetime": 900,
     "keys": [{"kid": "…", "state": "next",    "created_at": …, "private_key": "<PEM>"},
              {"kid": "…", "state": "current", "created_at": …, "private_key": "<PEM>"},
              {"kid": "…", "state": "retired", "created_at": …, "retired_at": …,
               "private_key": "<PEM>"}]}

Tokens are signed with the ``current`` key. The ``next`` key is published in the JWKS
document from the moment it exists, so verifiers know it before it signs anything.
:meth:`KeyStore.rotate` makes ``next`` current, creates a new ``next`` and retires the old
current key, which stays published until every token it signed has expired
(``retired_at + token_lifetime + leeway``) and is then dropped. A rotation refuses to make a
key current that was published less than ``min_age`` seconds ago: verifiers refresh on an
unknown ``kid`` at most every 10 s, so a key published longer ago than that is known to all
of them by the time it signs.

:meth:`KeyStore.revoke` withdraws one key at once, for a key that leaked: unlike a
rotation it does not wait for that key's tokens to expire.

Readers call :meth:`KeyStore.load` (cheap when nothing changed: it compares the file's
``stat``) on every use, so a running issuer picks a rotation up at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import msgspec

from accord.errors import AccordError
from accord.security.jwks import public_jwk
from accord.security.jws import Ed25519Signer, sign_eddsa
from accord.security.schedule import KEY_FILE
from accord.security.tokens import ACCESS_TOKEN_TYPE

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ed25519

__all__ = [
    "KeyRing",
    "KeyStore",
    "KeyStoreError",
    "SigningKey",
]


State = Literal["next", "current", "retired"]
#: How long after its expiry a retired key is still published (clock skew of verifiers).
RETIRED_LEEWAY: Final = 60.0
#: A ``next`` key younger than this is not made current (verifiers refresh every 10 s).
MIN_PUBLISHED: Final = 15.0


class KeyStoreError(AccordError):
    """The key file is missing, unreadable or inconsistent, or a rotation is refused."""


def _new_kid() -> str:
    """A random key id: 16 URL-safe characters, never starting with ``-`` (a kid is
    typed on command lines, ``accord keys revoke KID``, where it would read as an
    option)."""
    while True:
        kid = secrets.token_urlsafe(12)
        if not kid.startswith("-"):
            return kid


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An Ed25519 private key, its ``kid`` and its state.

    Keys made or read here are :class:`~accord.security.jws.Ed25519Signer` (libsodium);
    ``cryptography``'s keys are taken too."""

    kid: str
    state: State
    private_key: Ed25519Signer | ed25519.Ed25519PrivateKey
    created_at: float
    retired_at: float | None = None

    @classmethod
    def generate(cls, state: State, now: float) -> SigningKey:
        """A new key with a random ``kid`` (:func:`_new_kid`)."""
        key = Ed25519Signer.generate()
        return cls(kid=_new_kid(), state=state, private_key=key, created_at=now)

    def jwk(self) -> dict[str, str]:
        """The public half, as a JWK."""
        return public_jwk(self.kid, self.private_key.public_key())


@dataclass(frozen=True, slots=True)
class KeyRing:
    """The keys of an issuer at one moment: ``current``, ``next`` and ``retired`` ones."""

    keys: tuple[SigningKey, ...]
    token_lifetime: float

    @property
    def current(self) -> SigningKey:
        """The key that signs."""
        return next(k for k in self.keys if k.state == "current")

    @property
    def next(self) -> SigningKey:
        """The key that will sign after the next rotation (already published)."""
        return next(k for k in self.keys if k.state == "next")

    @property
    def retired(self) -> tuple[SigningKey, ...]:
        """Keys that no longer sign but may still verify tokens."""
        return tuple(k for k in self.keys if k.state == "retired")

    def published(self, now: float) -> tuple[SigningKey, ...]:
        """Current, next and the retired keys whose tokens may not have expired yet."""
        return tuple(k for k in self.keys if k.state != "retired" or not self._expired(k, now))

    def _expired(self, key: SigningKey, now: float) -> bool:
        assert key.retired_at is not None
        return now > key.retired_at + self.token_lifetime + RETIRED_LEEWAY

    def jwks(self, now: float) -> dict[str, list[dict[str, str]]]:
        """The JWKS document: the public halves of :meth:`published`."""
        return {"keys": [k.jwk() for k in self.published(now)]}

    def sign(self, claims: Mapping[str, Any]) -> str:
        """``claims`` signed with the current key (``EdDSA``, ``typ: at+jwt``, its ``kid``)."""
        current = self.current
        headers = {"kid": current.kid, "typ": ACCESS_TOKEN_TYPE}
        return sign_eddsa(claims, current.private_key, headers)

    def rotated(self, now: float, *, min_age: float = MIN_PUBLISHED) -> KeyRing:
        """The ring after one rotation at ``now`` (expired retired keys dropped)."""
        current, upcoming = self.current, self.next
        if now - upcoming.created_at < min_age:
            raise KeyStoreError(
                f"the next key was published {now - upcoming.created_at:.0f}s ago; "
                f"wait {min_age:.0f}s so every verifier knows it first"
            )
        keys = [k for k in self.retired if not self._expired(k, now)]
        keys.append(replace(current, state="retired", retired_at=now))
        keys.append(replace(upcoming, state="current"))
        keys.append(SigningKey.generate("next", now))
        return KeyRing(tuple(keys), self.token_lifetime)

    def revoked(self, kid: str, now: float) -> KeyRing:
        """The ring without key ``kid``, at once: a key that must not verify anything.

        A retired key is dropped; a ``next`` key is replaced by a new one; the current key
        is first rotated out (the next key signs from now on, whatever its age) and then
        dropped. Tokens it signed are refused as soon as each verifier refreshes its key
        set (at most ``max_age`` later), which is the point.
        """
        if kid not in {k.kid for k in self.keys}:
            raise KeyStoreError(f"no key {kid!r} (keys: {', '.join(k.kid for k in self.keys)})")
        ring = self.rotated(now, min_age=0) if kid == self.current.kid else self
        keys = [k for k in ring.keys if k.kid != kid]
        if kid == ring.next.kid:
            keys.append(SigningKey.generate("next", now))
        return KeyRing(tuple(keys), self.token_lifetime)


class _Entry(msgspec.Struct, kw_only=True):
    kid: str
    state: State
    created_at: float
    private_key: str
    retired_at: float | None = None


class _File(msgspec.Struct, kw_only=True):
    token_lifetime: float
    keys: list[_Entry]


def _encode(ring: KeyRing) -> bytes:
    entries = [
        _Entry(
            kid=k.kid,
            state=k.state,
            created_at=k.created_at,
            retired_at=k.retired_at,
            private_key=_pem(k.private_key).decode("ascii"),
        )
        for k in ring.keys
    ]
    return msgspec.json.format(
        msgspec.json.encode(_File(token_lifetime=ring.token_lifetime, keys=entries))
    )


def _pem(key: Ed25519Signer | ed25519.Ed25519PrivateKey) -> bytes:
    if isinstance(key, Ed25519Signer):
        return key.pem()
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _private_key(pem: bytes, kid: str) -> Ed25519Signer | ed25519.Ed25519PrivateKey:
    """The key of a PEM: libsodium's for the one form written here, else as
    ``cryptography`` reads it (any other PKCS #8 form of an Ed25519 key)."""
    try:
        return Ed25519Signer.from_pem(pem)
    except ValueError:
        pass
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    private = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(private, ed25519.Ed25519PrivateKey):
        raise ValueError(f"key {kid} is not an Ed25519 key")
    return private


def _decode(data: bytes, path: Path) -> KeyRing:
    try:
        document = msgspec.json.decode(data, type=_File)
        keys = []
        for e in document.keys:
            private = _private_key(e.private_key.encode(), e.kid)
            keys.append(SigningKey(e.kid, e.state, private, e.created_at, e.retired_at))
    except (msgspec.DecodeError, ValueError, TypeError) as exc:
        raise KeyStoreError(f"{path}: not a signing key file ({exc})") from None
    states = [k.state for k in keys]
    if states.count("current") != 1 or states.count("next") != 1:
        raise KeyStoreError(f"{path}: needs exactly one current and one next key")
    if len({k.kid for k in keys}) != len(keys):
        raise KeyStoreError(f"{path}: two keys share a kid")
    return KeyRing(tuple(keys), document.token_lifetime)


class KeyStore:
    """The key file of one issuer; every write replaces it atomically, under a lock."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self._cached: tuple[tuple[int, int, int], KeyRing] | None = None

    @classmethod
    def under(cls, home: Path, issuer: str, **kwargs: Any) -> KeyStore:
        """The store of the service ``issuer`` (the one that signs tokens) in a project
        home: ``<home>/<issuer>/signing-keys.json``."""
        return cls(home / issuer / KEY_FILE, **kwargs)

    @classmethod
    def find(cls, home: Path, **kwargs: Any) -> KeyStore:
        """The store of the one service under ``home`` that keeps signing keys (what
        ``accord keys`` manages); :class:`KeyStoreError` when none does, or several."""
        found = sorted(home.glob(f"*/{KEY_FILE}"))
        if not found:
            raise KeyStoreError(
                f"{home}: no signing keys in any service's folder "
                "(start the service that issues tokens first)"
            )
        if len(found) > 1:
            names = ", ".join(path.parent.name for path in found)
            raise KeyStoreError(f"{home}: signing keys of several services ({names})")
        return cls(found[0], **kwargs)

    def exists(self) -> bool:
        """Whether the key file is there."""
        return self.path.exists()

    def load(self) -> KeyRing:
        """The keys on disk, read again only when the file changed."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            raise KeyStoreError(
                f"{self.path}: no signing keys (start their service first)"
            ) from None
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if self._cached is not None and self._cached[0] == stamp:
            return self._cached[1]
        ring = _decode(self.path.read_bytes(), self.path)
        self._cached = (stamp, ring)
        return ring

    def ensure(self, *, token_lifetime: float) -> KeyRing:
        """The keys on disk, created (a current and a next key) when there are none.

        The file remembers the longest ``token_lifetime`` it was ensured with: retired
        keys stay published that long, so tokens issued before the lifetime was
        shortened still verify until they expire.
        """
        with self._locked():
            if not self.path.exists():
                now = self._clock()
                ring = KeyRing(
                    (SigningKey.generate("current", now), SigningKey.generate("next", now)),
                    token_lifetime,
                )
                self._write(ring)
            else:
                ring = self.load()
                if ring.token_lifetime < token_lifetime:
                    self._write(replace(ring, token_lifetime=token_lifetime))
        return self.load()

    def rotate(self, *, min_age: float = MIN_PUBLISHED) -> KeyRing:
        """Rotate once (see the module's description) and return the new ring."""
        with self._locked():
            self._cached = None
            ring = self.load().rotated(self._clock(), min_age=min_age)
            self._write(ring)
        return self.load()

    def revoke(self, kid: str) -> KeyRing:
        """Withdraw key ``kid`` at once (see :meth:`KeyRing.revoked`)."""
        with self._locked():
            self._cached = None
            ring = self.load().revoked(kid, self._clock())
            self._write(ring)
        return self.load()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _write(self, ring: KeyRing) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".keys-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(_encode(ring))
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
