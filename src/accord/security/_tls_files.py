"""Certificate files loaded into SSL contexts, and loaded again when they change.

Used by :mod:`accord.security.tls`. Files are compared by inode, modification time and
size; a change builds a fresh context, which replaces the current one only if it loads.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from accord.errors import AccordError
from accord.security.binding import thumbprint
from accord.security.certfiles import CertError, pem_der, read_certificate
from accord.security.spiffe import check_trust_domain

__all__ = ["Files", "Loaded", "Reloader", "load_context", "trust_domain_of"]

logger = logging.getLogger("accord.security.tls")

#: ``ca.crt``, a certificate and its key.
Files = tuple[Path, Path, Path]
Signature = tuple[tuple[int, int, int], ...]


def _signature(paths: Sequence[Path]) -> Signature | None:
    try:
        stats = [p.stat() for p in paths]
    except OSError:
        return None
    return tuple((s.st_ino, s.st_mtime_ns, s.st_size) for s in stats)


def trust_domain_of(ca: Path) -> str:
    """The trust domain a CA certificate names (its one URI, ``spiffe://<domain>``)."""
    try:
        uris = read_certificate(pem_der(ca.read_bytes())).uris
    except (OSError, ValueError) as exc:
        raise CertError(f"cannot read the CA certificate {ca}: {exc}") from None
    prefix = "spiffe://"
    if len(uris) != 1 or not uris[0].startswith(prefix):
        raise CertError(f"the CA certificate {ca} names no trust domain")
    return check_trust_domain(uris[0][len(prefix) :])


def load_context(protocol: ssl._SSLMethod, files: Files) -> ssl.SSLContext:
    """A TLS 1.3 context trusting ``ca.crt`` only, presenting the pair, peers verified."""
    ca, cert, key = files
    ctx = ssl.SSLContext(protocol)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.verify_flags |= ssl.VERIFY_X509_STRICT
    try:
        ctx.load_verify_locations(cafile=str(ca))
        ctx.load_cert_chain(str(cert), str(key))
    except (OSError, ssl.SSLError) as exc:
        raise CertError(f"cannot load {cert.name} with {key.name} and {ca.name}: {exc}") from None
    return ctx


@dataclass(frozen=True, slots=True)
class Loaded:
    """One consistent load of the files: a context and the trust domain it trusts."""

    context: ssl.SSLContext
    trust_domain: str
    signature: Signature | None
    serial: int
    #: ``x5t#S256`` of the certificate presented (RFC 8705 §3.1).
    thumbprint: str = ""


class Reloader:
    """The latest context that loaded; the files are looked at every ``interval`` s at most.

    ``build(trust_domain)`` makes a context of the files; the first load must succeed
    (:class:`~accord.security.CertError` otherwise), later failures keep the current one.
    """

    def __init__(
        self,
        files: Files,
        build: Callable[[str], ssl.SSLContext],
        *,
        interval: float,
        label: str,
    ) -> None:
        self._files = files
        self._build = build
        self._interval = interval
        self._label = label
        self._lock = threading.Lock()
        self._next_check = 0.0
        self._failed: Signature | None = None
        self.current = self._load()

    def _load(self) -> Loaded:
        for _ in range(3):  # files replaced while loading: load again, so that the
            loaded = self._load_once()  # thumbprint is the certificate's the context holds
            if loaded.signature is not None:
                break
        return loaded

    def _load_once(self) -> Loaded:
        before = _signature(self._files)
        trust_domain = trust_domain_of(self._files[0])
        context = self._build(trust_domain)
        try:
            der = pem_der(self._files[1].read_bytes())
            serial = read_certificate(der).serial
        except (OSError, ValueError) as exc:
            raise CertError(f"cannot read {self._files[1]}: {exc}") from None
        # A file replaced while loading: no signature, so the next check loads again.
        signature = before if before == _signature(self._files) else None
        return Loaded(context, trust_domain, signature, serial, thumbprint(der))

    def expire(self) -> None:
        """Look at the files again on the next :meth:`get`, whatever the interval."""
        self._next_check = 0.0

    def get(self) -> Loaded:
        """The current load, refreshed first when the files changed."""
        now = time.monotonic()
        if now < self._next_check:
            return self.current
        with self._lock:
            if now < self._next_check:
                return self.current
            self._next_check = now + self._interval
            signature = _signature(self._files)
            if signature is not None and signature == self.current.signature:
                return self.current
            try:
                loaded = self._load()
            except (AccordError, ValueError) as exc:
                if signature != self._failed:  # once per state of the files, not per call
                    self._failed = signature
                    logger.warning("tls reload deferred, keeping the current certificate: %s", exc)
                return self.current
            self.current = loaded
            logger.info(
                "tls certificate reloaded for %s: %s serial %x, trust domain %s",
                self._label,
                self._files[1].stem,
                loaded.serial,
                loaded.trust_domain,
            )
            return loaded
