"""When credentials are due, read from their files without ``cryptography``.

The rotator of ``accord up`` (:mod:`accord.security.rotation`) looks at the schedule every
minute and rotates a few times a day: it reads a certificate's validity and the age of
the next signing key here, so the supervisor that stays up loads neither
``cryptography`` (about 10 MiB resident with its Rust library) nor PyJWT; rotating
itself still takes them (decision 0021).

- :func:`cert_window` (:mod:`accord.security.certfiles`) reads ``notBefore`` and
  ``notAfter`` from a PEM certificate's DER (RFC 5280 §4.1: ``Certificate →
  tbsCertificate → validity``), nothing else;
- :func:`next_key_created` reads when the ``next`` signing key was made from the key
  file (:mod:`accord.security.keys`), without loading the keys.

Anything unexpected is a :class:`ValueError`, as a file read halfway through a
replacement would be; the rotator skips that credential for one pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import msgspec

from accord.security.certfiles import cert_path, cert_window

__all__ = [
    "KEY_FILE",
    "RENEW_AT",
    "cert_path",
    "cert_renewal_at",
    "cert_window",
    "key_files",
    "next_key_created",
]

#: The share of a certificate's life after which it is renewed on schedule.
RENEW_AT: Final = 2 / 3
#: The file of a token issuer's keys, in its folder under the project home.
KEY_FILE: Final = "signing-keys.json"


def cert_renewal_at(pem: bytes) -> float:
    """When the certificate in ``pem`` is renewed on schedule (epoch seconds): two thirds
    into its validity, as :func:`accord.security.certs.cert_renewal_due` says."""
    start, end = cert_window(pem)
    return start + (end - start) * RENEW_AT


class _Key(msgspec.Struct):
    state: str
    created_at: float


class _KeyFile(msgspec.Struct):
    keys: list[_Key]


def key_files(home: Path, name: str) -> list[Path]:
    """The signing-key files ``name`` under the services' folders of ``home``."""
    return sorted(home.glob(f"*/{name}"))


def next_key_created(path: Path) -> float:
    """When the ``next`` key of the key file at ``path`` was made (epoch seconds)."""
    try:
        document = msgspec.json.decode(path.read_bytes(), type=_KeyFile)
    except msgspec.DecodeError as exc:
        raise ValueError(f"{path}: not a signing key file ({exc})") from None
    states = [k.state for k in document.keys]
    if states.count("current") != 1 or states.count("next") != 1:
        raise ValueError(f"{path}: needs exactly one current and one next key")
    return next(k.created_at for k in document.keys if k.state == "next")
