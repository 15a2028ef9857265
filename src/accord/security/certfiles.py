"""The certificate folder, and what is read of a certificate without ``cryptography``.

Processes that only serve or call with mutual TLS (``accord up``'s probes, its rotation
schedule) read a few fields of a certificate, never sign one: they read them here, from
the DER, so they do not load ``cryptography`` (about 10 MiB resident with its Rust
library; decision 0021). Issuing, loading keys and rotating stay in
:mod:`accord.security.certs`.

:func:`read_certificate` reads, from ``Certificate → tbsCertificate`` (RFC 5280 §4.1),
the serial number, ``notBefore`` and ``notAfter``, and two extensions: basic constraints
(is it a CA?) and the URIs of the subject alternative names. Anything else is skipped;
anything malformed, or an extension present twice, is a :class:`ValueError`.
"""

from __future__ import annotations

import base64
import binascii
from calendar import timegm
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from accord.errors import AccordError

__all__ = [
    "CertError",
    "CertFields",
    "ca_cert_path",
    "cert_path",
    "cert_window",
    "key_path",
    "pem_der",
    "read_certificate",
]

_BEGIN = b"-----BEGIN CERTIFICATE-----"
_END = b"-----END CERTIFICATE-----"
_BOOLEAN, _INTEGER, _OCTETS, _OID = 0x01, 0x02, 0x04, 0x06
_SEQUENCE, _UTC_TIME, _GENERALIZED_TIME, _VERSION = 0x30, 0x17, 0x18, 0xA0
_EXTENSIONS: Final = 0xA3
_URI: Final = 0x86  # GeneralName uniformResourceIdentifier [6] IMPLICIT IA5String
_BASIC_CONSTRAINTS: Final = bytes.fromhex("551d13")  # 2.5.29.19
_SUBJECT_ALT_NAME: Final = bytes.fromhex("551d11")  # 2.5.29.17


class CertError(AccordError):
    """A certificate or key is missing, unreadable or inconsistent."""


# -- the folder ------------------------------------------------------------------------


def ca_cert_path(directory: Path) -> Path:
    """Where the CA certificate of a certificate folder lives."""
    return directory / "ca.crt"


def cert_path(directory: Path, service: str) -> Path:
    """Where ``service``'s certificate lives in a certificate folder."""
    return directory / f"{service}.crt"


def key_path(directory: Path, service: str) -> Path:
    """Where ``service``'s private key lives in a certificate folder."""
    return directory / f"{service}.key"


# -- one certificate -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CertFields:
    """What the peer check and the schedule read of a certificate."""

    serial: int
    #: ``notBefore`` and ``notAfter``, epoch seconds.
    not_before: float
    not_after: float
    #: The basic constraints say CA (absent: not a CA).
    is_ca: bool
    #: The URI entries of the subject alternative names, in order (none if absent).
    uris: tuple[str, ...]


def pem_der(pem: bytes) -> bytes:
    """The DER of the first certificate in ``pem``."""
    start, end = pem.find(_BEGIN), pem.find(_END)
    if start < 0 or end < start:
        raise ValueError("not a PEM certificate")
    try:
        return base64.b64decode(b"".join(pem[start + len(_BEGIN) : end].split()), validate=True)
    except binascii.Error as exc:
        raise ValueError(f"not a PEM certificate ({exc})") from None


def read_certificate(der: bytes) -> CertFields:
    """The fields of the certificate ``der`` (see the module docstring)."""
    certificate = _only(der, 0, _SEQUENCE)
    if certificate[1] != len(der):
        raise ValueError("bytes after the certificate")
    tbs = _first(der, certificate, _SEQUENCE)
    fields = list(_children(der, tbs))
    if fields and fields[0][0] == _VERSION:
        fields = fields[1:]
    # serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, ...
    if len(fields) < 6 or fields[0][0] != _INTEGER or fields[3][0] != _SEQUENCE:
        raise ValueError("not a DER certificate")
    serial = int.from_bytes(der[fields[0][1] : fields[0][2]], "big", signed=True)
    times = list(_children(der, (fields[3][1], fields[3][2])))
    if len(times) != 2:
        raise ValueError("certificate validity is not two times")
    not_before, not_after = (_time(tag, der[a:b]) for tag, a, b in times)
    extensions = _extensions(der, [(a, b) for tag, a, b in fields[6:] if tag == _EXTENSIONS])
    constraints = extensions.get(_BASIC_CONSTRAINTS)
    names = extensions.get(_SUBJECT_ALT_NAME)
    return CertFields(
        serial=serial,
        not_before=not_before,
        not_after=not_after,
        is_ca=constraints is not None and _says_ca(constraints),
        uris=() if names is None else _uris(names),
    )


def cert_window(pem: bytes) -> tuple[float, float]:
    """``notBefore`` and ``notAfter`` (epoch seconds) of the first certificate in ``pem``."""
    der = pem_der(pem)
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


def _extensions(der: bytes, spans: list[tuple[int, int]]) -> dict[bytes, bytes]:
    """``extnID → extnValue`` (the DER inside the octet string), each id at most once."""
    if len(spans) > 1:
        raise ValueError("extensions given twice")
    found: dict[bytes, bytes] = {}
    for span in spans:
        for tag, begin, stop in _children(der, _first(der, span, _SEQUENCE)):
            if tag != _SEQUENCE:
                raise ValueError("malformed extension")
            parts = list(_children(der, (begin, stop)))
            if not 2 <= len(parts) <= 3 or parts[0][0] != _OID or parts[-1][0] != _OCTETS:
                raise ValueError("malformed extension")
            if len(parts) == 3 and parts[1][0] != _BOOLEAN:
                raise ValueError("malformed extension")
            oid = der[parts[0][1] : parts[0][2]]
            if oid in found:
                raise ValueError("an extension given twice")
            found[oid] = der[parts[-1][1] : parts[-1][2]]
    return found


def _says_ca(value: bytes) -> bool:
    """``BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLen INTEGER OPTIONAL }``."""
    inner = _only(value, 0, _SEQUENCE)
    for tag, begin, stop in _children(value, inner):
        if tag == _BOOLEAN:
            if stop - begin != 1:
                raise ValueError("malformed basic constraints")
            return value[begin] != 0
        break
    return False


def _uris(value: bytes) -> tuple[str, ...]:
    """The ``uniformResourceIdentifier`` entries of a ``GeneralNames`` sequence."""
    names = _only(value, 0, _SEQUENCE)
    return tuple(
        value[begin:stop].decode("ascii")
        for tag, begin, stop in _children(value, names)
        if tag == _URI
    )


# -- DER -------------------------------------------------------------------------------


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
        if stop > end:
            raise ValueError("truncated DER")
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
