"""A local certificate authority and one certificate per service.

::

    <dir>/ca.crt  ca.key            the CA (EC P-256, self-signed, path length 0)
    <dir>/<service>.crt  .key       a leaf: spiffe://<trust-domain>/<service>

The CA carries its trust domain as its one URI name, ``spiffe://<trust-domain>``, so a
folder of certificates needs no other configuration. Private keys are written with mode
0600. Every file is written to a temporary name and renamed into place, so a reader
never sees a half-written file; :meth:`CertStore.load_leaf` also checks that the key
matches the certificate, so a reader racing a rotation retries instead of pairing an
old certificate with a new key.
"""

from __future__ import annotations

import ipaddress
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from accord.security.certfiles import CertError, ca_cert_path, cert_path, key_path
from accord.security.schedule import RENEW_AT
from accord.security.spiffe import SpiffeId, check_trust_domain, uri_sans

__all__ = [
    "CertError",
    "CertStore",
    "CertificateAuthority",
    "Leaf",
    "cert_renewal_due",
    "create_ca",
    "issue_leaf",
]

#: How long a new CA is valid.
CA_DAYS = 365
#: How long a new leaf is valid unless told otherwise.
LEAF_DAYS = 30
#: Backdating of ``not_valid_before``, for clocks that disagree a little.
_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class CertificateAuthority:
    """A CA certificate, its key and the trust domain it names."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    trust_domain: str


@dataclass(frozen=True, slots=True)
class Leaf:
    """A service certificate and its key."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    spiffe_id: SpiffeId


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def create_ca(
    trust_domain: str, *, days: int = CA_DAYS, now: datetime | None = None
) -> CertificateAuthority:
    """A new self-signed CA for ``trust_domain`` (EC P-256, may sign leaves only)."""
    check_trust_domain(trust_domain)
    start = (now or datetime.now(UTC)) - _SKEW
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(f"accord CA {trust_domain}")
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier(f"spiffe://{trust_domain}")]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CertificateAuthority(cert, key, trust_domain)


def issue_leaf(
    ca: CertificateAuthority,
    service: str,
    *,
    days: int = LEAF_DAYS,
    now: datetime | None = None,
    lifetime: timedelta | None = None,
) -> Leaf:
    """A leaf for ``service``: one SPIFFE URI, DNS ``localhost``, IP ``127.0.0.1``.

    Valid for ``days``, or for ``lifetime`` from ``now`` when given (short-lived
    certificates renewed on a schedule: :mod:`accord.security.rotation`); the start is
    backdated by five minutes, or a tenth of ``lifetime`` when that is shorter.
    """
    ident = SpiffeId.for_service(ca.trust_domain, service)
    moment = now or datetime.now(UTC)
    if lifetime is None:
        start = moment - _SKEW
        end = min(start + timedelta(days=days), ca.cert.not_valid_after_utc)
    else:
        start = moment - min(_SKEW, lifetime / 10)
        end = min(moment + lifetime, ca.cert.not_valid_after_utc)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(service))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.UniformResourceIdentifier(str(ident)),
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
        .sign(ca.key, hashes.SHA256())
    )
    return Leaf(cert, key, ident)


def cert_renewal_due(cert: x509.Certificate) -> float:
    """When ``cert`` is renewed on schedule (epoch seconds): two thirds into its validity
    (:mod:`accord.security.rotation`)."""
    start = cert.not_valid_before_utc.timestamp()
    end = cert.not_valid_after_utc.timestamp()
    return start + (end - start) * RENEW_AT


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _same_key(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> bool:
    return cert.public_key() == key.public_key()


class CertStore:
    """A folder holding the CA and the services' certificates."""

    def __init__(self, directory: Path) -> None:
        """Use ``directory`` (created on first write)."""
        self.directory = directory

    @property
    def ca_cert_path(self) -> Path:
        """Where the CA certificate lives."""
        return ca_cert_path(self.directory)

    @property
    def ca_key_path(self) -> Path:
        """Where the CA private key lives."""
        return self.directory / "ca.key"

    def cert_path(self, service: str) -> Path:
        """Where ``service``'s certificate lives."""
        return cert_path(self.directory, service)

    def key_path(self, service: str) -> Path:
        """Where ``service``'s private key lives."""
        return key_path(self.directory, service)

    def init(self, trust_domain: str, *, force: bool = False) -> CertificateAuthority:
        """Create and write a new CA; refuse to replace one unless ``force``."""
        if not force and (self.ca_cert_path.exists() or self.ca_key_path.exists()):
            raise CertError(f"a CA already exists in {self.directory} (use --force to replace it)")
        ca = create_ca(trust_domain)
        self.directory.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.ca_key_path, _key_pem(ca.key), 0o600)
        _write_atomic(self.ca_cert_path, ca.cert.public_bytes(serialization.Encoding.PEM), 0o644)
        return ca

    def load_ca(self) -> CertificateAuthority:
        """The CA in this folder, or :class:`CertError` if there is none."""
        if not self.ca_cert_path.exists():
            raise CertError(f"no CA in {self.directory}; run `accord certs init` first")
        try:
            cert = x509.load_pem_x509_certificate(self.ca_cert_path.read_bytes())
            key = serialization.load_pem_private_key(self.ca_key_path.read_bytes(), password=None)
        except (OSError, ValueError) as exc:
            raise CertError(f"cannot read the CA in {self.directory}: {exc}") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not _same_key(cert, key):
            raise CertError(f"the CA key in {self.directory} does not match its certificate")
        uris = uri_sans(cert)
        prefix = "spiffe://"
        if len(uris) != 1 or not uris[0].startswith(prefix):
            raise CertError(f"the CA in {self.directory} names no trust domain")
        return CertificateAuthority(cert, key, check_trust_domain(uris[0][len(prefix) :]))

    def issue(
        self, service: str, *, days: int = LEAF_DAYS, lifetime: timedelta | None = None
    ) -> Leaf:
        """Issue and write a new leaf for ``service``, replacing any previous one
        (valid ``days``, or ``lifetime`` when given)."""
        leaf = issue_leaf(self.load_ca(), service, days=days, lifetime=lifetime)
        _write_atomic(self.key_path(service), _key_pem(leaf.key), 0o600)
        _write_atomic(
            self.cert_path(service), leaf.cert.public_bytes(serialization.Encoding.PEM), 0o644
        )
        return leaf

    def rotate(self, service: str, *, days: int = LEAF_DAYS) -> Leaf:
        """Replace ``service``'s existing leaf with a new one (refused if it has none)."""
        if not self.cert_path(service).exists():
            raise CertError(f"no certificate for {service!r}; run `accord certs issue` first")
        return self.issue(service, days=days)

    def load_leaf(self, service: str, *, attempts: int = 5, pause: float = 0.05) -> Leaf:
        """``service``'s certificate and key, retrying briefly while a rotation lands."""
        for attempt in range(attempts):
            try:
                cert = x509.load_pem_x509_certificate(self.cert_path(service).read_bytes())
                key = serialization.load_pem_private_key(
                    self.key_path(service).read_bytes(), password=None
                )
            except (OSError, ValueError) as exc:
                raise CertError(f"cannot read the certificate of {service!r}: {exc}") from None
            if isinstance(key, ec.EllipticCurvePrivateKey) and _same_key(cert, key):
                uris = uri_sans(cert)
                if len(uris) != 1:
                    raise CertError(f"the certificate of {service!r} has no single SPIFFE id")
                return Leaf(cert, key, SpiffeId.parse(uris[0]))
            if attempt + 1 < attempts:
                time.sleep(pause)
        raise CertError(f"the key of {service!r} does not match its certificate")
