"""The ``PasswordHashing`` port: scrypt, in a worker thread so the event loop keeps serving."""

from __future__ import annotations

import anyio

from accord.security.passwords import PasswordHasher

__all__ = ["ThreadedPasswords"]


class ThreadedPasswords:
    """:class:`~accord.security.passwords.PasswordHasher` run off the event loop, at most
    ``concurrency`` hashes at a time (each takes tens of MiB)."""

    def __init__(self, hasher: PasswordHasher, *, concurrency: int = 2) -> None:
        self._hasher = hasher
        self._limiter = anyio.CapacityLimiter(concurrency)

    async def hash(self, password: str) -> str:
        """The string to store for ``password``."""
        return await anyio.to_thread.run_sync(self._hasher.hash, password, limiter=self._limiter)

    async def verify(self, password: str, stored: str | None) -> bool:
        """Whether ``password`` matches ``stored`` (``None``: the same work, then False)."""
        return await anyio.to_thread.run_sync(
            self._hasher.verify, password, stored, limiter=self._limiter
        )
