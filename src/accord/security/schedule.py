"""When credentials are due, read from their files without ``cryptography``.

The rotator of ``accord up`` (:mod:`accord.security.rotation`) looks at the schedule every
minute and rotates a few times a day: it reads a certificate's validity and the age of
the next signing key here, so the supervisor that stays up loads neither
``cryptography`` (about 10 MiB resident with its Rust library) nor PyJWT; rotating
itself still takes them (decision 0021).

- :func:`cert_window` reads ``notBefore`` and ``notAfter`` from a PEM certificate's DER
  (RFC 5280 §4.1: ``Certificate → tbsCertificate → validity``), nothing else;
- :func:`next_key_created` reads when the ``next`` signing key was made from the key
  file (:mod:`accord.security.keys`), without loading the keys.

Anything unexpected is a :class:`ValueError`, as a file read halfway through a
replacement would be; the rotator skips that credential for one pass.
"""

from __future__ import annotations

import base64
import binascii
from calendar import timegm
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import msgspec

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

_BEGIN = b"-----BEGIN CERTIFICATE-----"
_END = b"-----END CERTIFICATE-----"
_SEQUENCE, _UTC_TIME, _GENERALIZED_TIME, _VERSION = 0x30, 0x17, 0x18, 0xA0


def cert_path(directory: Path, service: str) -> Path:
    """Where ``service``'s certificate lives in a certificate folder
    (:class:`accord.security.certs.CertStore` uses the same)."""
    return directory / f"{service}.crt"


def cert_window(pem: bytes) -> tuple[float, float]:
    """``notBefore`` and ``notAfter`` (epoch seconds) of the first certificate in ``pem``."""
    start, end = pem.find(_BEGIN), pem.find(_END)
    if start < 0 or end < start:
        raise ValueError("not a PEM certificate")
    try:
        der = base64.b64decode(b"".join(pem[start + len(_BEGIN) : end].split()), validate=True)
    except binascii.Error as exc:
        raise ValueError(f"not a PEM certificate ({exc})") from None
    certificate = _only(der, 0, _SEQUENCE)
    tbs = _first(der, certificate, _SEQUENCE)
    fields = list(_children(der, tbs))
    if fields and fields[0][0] == _VERSION:
        fields = fields[1:]
    # serialNumber, signature, issuer, validity
    if len(fields) < 4 or fields[3][0] != _SEQUENCE:
        raise ValueError("certificate without a validity")
    times = list(_children(der, (fields[3][1], fields[3][2])))
    if len(times) != 2:
        raise ValueError("certificate validity is not two times")
    not_before, not_after = (_time(tag, der[a:b]) for tag, a, b in times)
    return not_before, not_after


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


def _header(der: bytes, at: int) -> tuple[int, int, int]:
    """The tag at ``at``, where its contents start and where they end."""
    if at + 2 > len(der):
        raise ValueError("truncated DER")
    tag, length = der[at], der[at + 1]
    at += 2
    if length & 0x80:
        count = length & 0x7F
        if not 0 < count <= 4 or at + count > len(der):
            raise ValueError("bad DER length")
        length = int.from_bytes(der[at : at + count], "big")
        at += count
    if at + length > len(der):
        raise ValueError("truncated DER")
    return tag, at, at + length


def _children(der: bytes, span: tuple[int, int]) -> Iterator[tuple[int, int, int]]:
    start, end = span
    at = start
    while at < end:
        tag, begin, stop = _header(der, at)
        yield tag, begin, stop
        at = stop


def _only(der: bytes, at: int, tag: int) -> tuple[int, int]:
    found, begin, stop = _header(der, at)
    if found != tag:
        raise ValueError("not a DER certificate")
    return begin, stop


def _first(der: bytes, span: tuple[int, int], tag: int) -> tuple[int, int]:
    for found, begin, stop in _children(der, span):
        if found != tag:
            break
        return begin, stop
    raise ValueError("not a DER certificate")


def _time(tag: int, raw: bytes) -> float:
    """A UTCTime (``YYMMDDHHMMSSZ``, years 1950 to 2049) or GeneralizedTime
    (``YYYYMMDDHHMMSSZ``) as epoch seconds (RFC 5280 §4.1.2.5)."""
    text = raw.decode("ascii")
    if tag == _UTC_TIME and len(text) == 13:
        year = int(text[:2])
        year += 1900 if year >= 50 else 2000
        rest = text[2:]
    elif tag == _GENERALIZED_TIME and len(text) == 15:
        year, rest = int(text[:4]), text[4:]
    else:
        raise ValueError(f"unsupported certificate time {text!r}")
    if not rest.endswith("Z") or not rest[:-1].isdigit():
        raise ValueError(f"unsupported certificate time {text!r}")
    month, day, hour, minute, second = (int(rest[i : i + 2]) for i in range(0, 10, 2))
    return float(timegm((year, month, day, hour, minute, second, 0, 0, 0)))
