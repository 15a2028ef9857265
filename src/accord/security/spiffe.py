"""SPIFFE ids and the checks a peer's certificate must pass.

A service's identity is one URI in its certificate's subject alternative names,
``spiffe://<trust-domain>/<service>``. :func:`check_peer` is the single place that decides
whether a certificate presented by a peer is an acceptable leaf of the local trust domain;
each refusal is a :class:`PeerRejected` with a stable ``reason`` code. It reads the
certificate's DER (:mod:`accord.security.certfiles`), so a process that checks peers
without issuing certificates does not load ``cryptography``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from accord.errors import AccordError
from accord.security.certfiles import CertFields, read_certificate

if TYPE_CHECKING:
    from cryptography import x509

__all__ = [
    "InvalidSpiffeId",
    "PeerRejected",
    "SpiffeId",
    "check_peer",
    "check_trust_domain",
    "uri_sans",
]

_TRUST_DOMAIN: Final = re.compile(r"^[a-z0-9._-]+$")
_SEGMENT: Final = re.compile(r"^[A-Za-z0-9._-]+$")
_PREFIX: Final = "spiffe://"


class InvalidSpiffeId(AccordError):
    """A string is not a well-formed SPIFFE id."""


class PeerRejected(AccordError):
    """A peer's certificate was refused; ``reason`` is a stable code.

    Codes: ``no_uri_san``, ``many_uri_sans``, ``bad_spiffe_id``, ``foreign_trust_domain``,
    ``expired``, ``not_yet_valid``, ``ca_certificate``, ``unexpected_id``.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{message} ({reason})")
        self.reason = reason


def check_trust_domain(name: str) -> str:
    """``name`` if it is a valid trust domain (lowercase letters, digits, ``.-_``)."""
    if not name or not _TRUST_DOMAIN.match(name):
        raise InvalidSpiffeId(f"{name!r} is not a valid trust domain")
    return name


@dataclass(frozen=True, slots=True)
class SpiffeId:
    """A parsed SPIFFE id: a trust domain and a non-empty path."""

    trust_domain: str
    path: str

    @classmethod
    def parse(cls, uri: str) -> SpiffeId:
        """Parse ``spiffe://<trust-domain>/<path>`` strictly.

        Refused: another scheme, an empty or malformed trust domain, a port, user info,
        a query, a fragment, a missing path, empty, ``.`` or ``..`` segments.
        """
        if not uri.startswith(_PREFIX):
            raise InvalidSpiffeId(f"{uri!r}: the scheme must be spiffe")
        rest = uri[len(_PREFIX) :]
        if "?" in rest or "#" in rest:
            raise InvalidSpiffeId(f"{uri!r}: a SPIFFE id has no query or fragment")
        domain, slash, path = rest.partition("/")
        if "@" in domain:
            raise InvalidSpiffeId(f"{uri!r}: a SPIFFE id has no user info")
        if ":" in domain:
            raise InvalidSpiffeId(f"{uri!r}: a SPIFFE id has no port")
        if not domain or not _TRUST_DOMAIN.match(domain):
            raise InvalidSpiffeId(f"{uri!r}: the trust domain is missing or malformed")
        if not slash or not path:
            raise InvalidSpiffeId(f"{uri!r}: a SPIFFE id needs a path")
        for segment in path.split("/"):
            if segment in ("", ".", "..") or not _SEGMENT.match(segment):
                raise InvalidSpiffeId(f"{uri!r}: bad path segment {segment!r}")
        return cls(domain, "/" + path)

    @classmethod
    def for_service(cls, trust_domain: str, service: str) -> SpiffeId:
        """The id of ``service`` in ``trust_domain`` (checked like :meth:`parse`)."""
        return cls.parse(f"{_PREFIX}{trust_domain}/{service}")

    def __str__(self) -> str:
        return f"{_PREFIX}{self.trust_domain}{self.path}"


def uri_sans(cert: x509.Certificate) -> list[str]:
    """The URI entries of a certificate's subject alternative names (none if absent)."""
    from cryptography import x509

    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return list(ext.value.get_values_for_type(x509.UniformResourceIdentifier))


def _fields(cert: x509.Certificate | bytes) -> CertFields:
    if isinstance(cert, bytes):
        return read_certificate(cert)
    from cryptography.hazmat.primitives.serialization import Encoding

    return read_certificate(cert.public_bytes(Encoding.DER))


def _utc(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, UTC)


def check_peer(
    cert: x509.Certificate | bytes,
    *,
    trust_domain: str,
    expected: str | None = None,
    now: datetime | None = None,
) -> SpiffeId:
    """The SPIFFE id of an acceptable peer leaf certificate (loaded, or its DER), or
    :class:`PeerRejected`; a certificate that does not read is a :class:`ValueError`.

    ``expected`` is a full SPIFFE id (``spiffe://td/svc``) or a bare service name; when
    given, the peer must be exactly that. ``now`` defaults to the current UTC time.
    Chain validation against the CA is the TLS layer's job; this checks identity.
    """
    moment = (now or datetime.now(UTC)).timestamp()
    fields = _fields(cert)
    if fields.is_ca:
        raise PeerRejected("ca_certificate", "a CA certificate may not be used as a leaf")
    if moment < fields.not_before:
        raise PeerRejected("not_yet_valid", f"certificate valid from {_utc(fields.not_before)}")
    if moment > fields.not_after:
        raise PeerRejected("expired", f"certificate expired at {_utc(fields.not_after)}")
    uris = fields.uris
    if not uris:
        raise PeerRejected("no_uri_san", "certificate has no URI subject alternative name")
    if len(uris) > 1:
        raise PeerRejected("many_uri_sans", f"certificate has {len(uris)} URI names, not one")
    try:
        ident = SpiffeId.parse(uris[0])
    except InvalidSpiffeId as exc:
        raise PeerRejected("bad_spiffe_id", str(exc)) from None
    if ident.trust_domain != trust_domain:
        raise PeerRejected(
            "foreign_trust_domain",
            f"{ident} is not in trust domain {trust_domain!r}",
        )
    if expected is not None:
        want = expected if expected.startswith(_PREFIX) else f"{_PREFIX}{trust_domain}/{expected}"
        if str(ident) != want:
            raise PeerRejected("unexpected_id", f"peer is {ident}, expected {want}")
    return ident
