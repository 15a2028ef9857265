"""The service clients' secrets, in a local file that identity writes on first start.

::

    <home>/identity/clients.json      mode 0600

    {"clients": {"orders": {"secret": "…"}, "operator": {"secret": "…"}}}

Which scopes a client may have is not in this file: it is the domain's table
(:data:`shop.identity.domain.model.CLIENT_SCOPES`), reviewed with the code. A service reads
its own secret from here (:meth:`accord.security.ClientCredentials.from_file`); a client
missing from the file is added with a new random secret, and existing secrets are kept.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import tempfile
from collections.abc import Iterable
from pathlib import Path

import msgspec

__all__ = ["ClientFile"]


class _Client(msgspec.Struct):
    secret: str


class _File(msgspec.Struct):
    clients: dict[str, _Client]


class ClientFile:
    """The ``ClientDirectory`` port over ``<home>/identity/clients.json``."""

    def __init__(self, path: Path, secrets_by_client: dict[str, str]) -> None:
        self.path = path
        self._secrets = secrets_by_client

    @classmethod
    def under(cls, home: Path, client_ids: Iterable[str]) -> ClientFile:
        """The clients file of a project home, with every one of ``client_ids`` in it."""
        return cls.provision(home / "identity" / "clients.json", client_ids)

    @classmethod
    def provision(cls, path: Path, client_ids: Iterable[str]) -> ClientFile:
        """Read ``path``, adding a random secret for each missing client."""
        try:
            known = {k: v.secret for k, v in _read(path).clients.items()}
        except FileNotFoundError:
            known = {}
        missing = [c for c in client_ids if c not in known]
        if missing:
            for client_id in missing:
                known[client_id] = secrets.token_urlsafe(32)
            _write(path, _File({k: _Client(v) for k, v in sorted(known.items())}))
        return cls(path, known)

    def authenticate(self, client_id: str, secret: str) -> bool:
        """Whether ``client_id`` is known and ``secret`` is its secret (constant time)."""
        expected = self._secrets.get(client_id, "")
        # Compare even for an unknown client, so timing does not tell which ids exist.
        matches = hmac.compare_digest(secret.encode(), (expected or secret + "x").encode())
        return bool(expected) and matches


def _read(path: Path) -> _File:
    return msgspec.json.decode(path.read_bytes(), type=_File)


def _write(path: Path, document: _File) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".clients-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(msgspec.json.format(msgspec.json.encode(document)))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
