"""Password hashing with scrypt: a random salt per password, a constant-time check.

::

    hasher = PasswordHasher()                    # scrypt, N=2**15, r=8, p=1 (32 MiB)
    stored = hasher.hash("correct horse")        # "scrypt$15$8$1$<salt>$<hash>"
    hasher.verify("correct horse", stored)       # True
    hasher.verify("guess", None)                 # False, after the same work as a real check

The parameters travel in the stored string, so stronger settings later still verify
older hashes, and :meth:`PasswordHasher.needs_rehash` tells when to upgrade one. The
default cost (N=2**15, about 0.2 s and 32 MiB per hash on a small machine) is below
OWASP's recommended N=2**17 to keep a local login quick; raise ``log_n`` where logins are
rare and machines large. Hashing is CPU and memory bound: call it from a worker thread in a
server (``anyio.to_thread.run_sync``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Final

__all__ = ["PasswordHasher"]

_SALT_BYTES: Final = 16
_HASH_BYTES: Final = 32
#: Longer passwords are refused rather than hashed (they are only a way to burn CPU).
MAX_PASSWORD_BYTES: Final = 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


class PasswordHasher:
    """scrypt with cost ``2**log_n``, block size ``r`` and parallelism ``p``."""

    def __init__(self, *, log_n: int = 15, r: int = 8, p: int = 1) -> None:
        if not 1 <= log_n <= 20 or r < 1 or p < 1:
            raise ValueError("scrypt parameters out of range")
        self.log_n, self.r, self.p = log_n, r, p
        self._dummy = self.hash(secrets.token_urlsafe(16))

    def _derive(self, password: str, salt: bytes, log_n: int, r: int, p: int) -> bytes:
        return hashlib.scrypt(
            password.encode("utf-8"),
            salt=salt,
            n=1 << log_n,
            r=r,
            p=p,
            maxmem=256 * 1024 * 1024,
            dklen=_HASH_BYTES,
        )

    def hash(self, password: str) -> str:
        """The string to store for ``password``, with a new random salt."""
        if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
            raise ValueError("password too long")
        salt = secrets.token_bytes(_SALT_BYTES)
        digest = self._derive(password, salt, self.log_n, self.r, self.p)
        return f"scrypt${self.log_n}${self.r}${self.p}${_b64(salt)}${_b64(digest)}"

    def verify(self, password: str, stored: str | None) -> bool:
        """Whether ``password`` matches ``stored``; ``None`` (no such user) costs the same."""
        if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
            return False
        candidate = stored if stored is not None else self._dummy
        try:
            scheme, log_n, r, p, salt, digest = candidate.split("$")
            if scheme != "scrypt" or not 1 <= int(log_n) <= 20:
                return False
            expected = _unb64(digest)
            actual = self._derive(password, _unb64(salt), int(log_n), int(r), int(p))
        except ValueError:
            return False
        return hmac.compare_digest(actual, expected) and stored is not None

    def needs_rehash(self, stored: str) -> bool:
        """Whether ``stored`` was made with other parameters than this hasher's."""
        return not stored.startswith(f"scrypt${self.log_n}${self.r}${self.p}$")
