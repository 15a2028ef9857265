"""Credentials that rotate themselves: signing keys on a schedule, short-lived certificates.

::

    rotator = Rotator(home, settings=lambda: RotationSettings(), certs=home / "certs",
                      names=["orders", "inventory"], audit=AuditTrail.under(home, "supervisor"))
    await rotator.run()          # until cancelled; or rotator.run_once() for one pass

The schedule is read from the files themselves, so it survives a restart of anything:

- **signing keys** rotate when the ``next`` key has been published for a whole
  ``key_period``: due at ``next.created_at + key_period``. A rotation makes a new ``next``
  key, so the key that will sign is always published a period ahead, and the retired
  key stays published until its tokens have expired (:class:`~accord.security.keys.KeyRing`).
- **certificates** are issued for ``cert_lifetime`` and renewed at two thirds of their
  life: due at ``not_before + 2/3 (not_after - not_before)``. Services read a renewed
  certificate on their next handshake (:mod:`accord.security.tls`).

``accord up`` runs one :class:`Rotator` in its supervisor (decision 0019); every
rotation is an audit record (``keys.rotate`` / ``certs.rotate``, actor
``accord-supervisor``, ``scheduled: true``). The settings are read again before each
pass, so a changed period applies without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Final, Protocol

from cryptography import x509

from accord.audit import AuditSink, NullAudit
from accord.errors import AccordError
from accord.security.certs import RENEW_AT, CertStore, cert_renewal_due
from accord.security.keys import MIN_PUBLISHED, KeyRing, KeyStore

__all__ = [
    "RENEW_AT",
    "Rotator",
    "Schedule",
    "cert_renewal_due",
    "key_rotation_due",
    "next_wake",
]

logger = logging.getLogger("accord.security.rotation")

#: The actor of scheduled rotations in the audit trail.
ACTOR: Final = "accord-supervisor"
#: The shortest sleep between two passes (a schedule of seconds under load).
_MIN_SLEEP: Final = 0.2


class Schedule(Protocol):
    """The figures a rotator reads before each pass (``accord.config.rotation``'s
    ``RotationSettings``): seconds between key rotations, a certificate's lifetime and
    the longest sleep between two looks."""

    @property
    def key_period(self) -> float:
        """Seconds a next key is published before it signs."""
        ...

    @property
    def cert_lifetime(self) -> float:
        """Seconds a new certificate is valid."""
        ...

    @property
    def check_interval(self) -> float:
        """The longest sleep between two passes."""
        ...


def key_rotation_due(ring: KeyRing, period: float) -> float:
    """When the keys rotate next (epoch seconds): the next key a whole period published."""
    return ring.next.created_at + period


def next_wake(now: float, dues: Iterable[float], cap: float) -> float:
    """Seconds to sleep from ``now``: until the earliest due time, at most ``cap``,
    at least a fifth of a second."""
    soonest = min(dues, default=now + cap)
    return max(_MIN_SLEEP, min(cap, soonest - now))


@dataclass(frozen=True, slots=True)
class Due:
    """One credential's schedule: what, when it rotates next (epoch seconds)."""

    kind: str  # "keys" or "certs"
    target: str
    due: float


class Rotator:
    """Rotates the signing keys under ``home`` and renews the certificates of ``names``
    in ``certs`` (``None``: no certificates, plain HTTP) when they are due."""

    def __init__(
        self,
        home: Path,
        *,
        settings: Callable[[], Schedule],
        certs: Path | None = None,
        names: Iterable[str] = (),
        audit: AuditSink | None = None,
        clock: Callable[[], float] = time.time,
        on_notice: Callable[[str], None] | None = None,
    ) -> None:
        self.home = home
        self._keys: KeyStore | None = None
        self.certs = CertStore(certs) if certs is not None else None
        self.names = list(names)
        self.settings = settings
        self._audit: AuditSink = audit if audit is not None else NullAudit()
        self._clock = clock
        self._notice = on_notice or (lambda message: logger.info("%s", message))
        self.rotations = 0

    def schedule(self, settings: Schedule) -> list[Due]:
        """When each credential is due (those that exist)."""
        dues: list[Due] = []
        keys = self.keys
        if keys is not None:
            with _quiet():
                ring = keys.load()
                due = key_rotation_due(ring, settings.key_period)
                dues.append(Due("keys", "signing-keys", due))
        if self.certs is not None:
            for name in self.names:
                with _quiet():
                    cert = x509.load_pem_x509_certificate(self.certs.cert_path(name).read_bytes())
                    dues.append(Due("certs", name, cert_renewal_due(cert)))
        return dues

    @property
    def keys(self) -> KeyStore | None:
        """The signing keys of the one service under ``home`` that keeps them, once it
        has made them (``None`` before)."""
        if self._keys is None:
            with _quiet():
                self._keys = KeyStore.find(self.home, clock=self._clock)
        return self._keys

    def run_once(self) -> float:
        """Rotate whatever is due now; return the seconds until the next look."""
        settings = self.settings()
        now = self._clock()
        for item in self.schedule(settings):
            if item.due <= now:
                self._rotate(item, settings)
        after = self._clock()
        return next_wake(after, (d.due for d in self.schedule(settings)), settings.check_interval)

    async def run(self) -> None:
        """Rotate on schedule until cancelled (each pass in a worker thread)."""
        while True:
            try:
                wait = await asyncio.to_thread(self.run_once)
            except Exception as exc:  # never end the supervisor over one bad pass
                logger.warning("rotation pass failed: %s", exc)
                wait = 1.0
            await asyncio.sleep(wait)

    def _rotate(self, item: Due, settings: Schedule) -> None:
        try:
            details = (
                self._rotate_keys(settings) if item.kind == "keys" else self._cert(item, settings)
            )
        except (AccordError, OSError, ValueError) as exc:
            error = " ".join(str(exc).split())
            self._record(item, "failed", {"error": error})
            self._notice(f"scheduled rotation of {item.target} failed: {error}")
            return
        self.rotations += 1
        self._record(item, "success", details)
        shown = ", ".join(f"{k} {v}" for k, v in details.items() if k != "scheduled")
        self._notice(f"rotated {item.target} on schedule: {shown}")

    def _rotate_keys(self, settings: Schedule) -> dict[str, object]:
        keys = self.keys
        assert keys is not None
        before = keys.load()
        after = keys.rotate(min_age=min(MIN_PUBLISHED, settings.key_period))
        return {
            "current": after.current.kid,
            "next": after.next.kid,
            "retired": before.current.kid,
            "scheduled": True,
        }

    def _cert(self, item: Due, settings: Schedule) -> dict[str, object]:
        assert self.certs is not None
        lifetime = timedelta(seconds=settings.cert_lifetime)
        leaf = self.certs.issue(item.target, lifetime=lifetime)
        return {
            "spiffe_id": str(leaf.spiffe_id),
            "serial": f"{leaf.cert.serial_number:x}",
            "not_after": leaf.cert.not_valid_after_utc.isoformat(),
            "scheduled": True,
        }

    def _record(self, item: Due, outcome: str, details: Mapping[str, object]) -> None:
        self._audit.record(
            f"{item.kind}.rotate", actor=ACTOR, target=item.target, outcome=outcome, details=details
        )


class _quiet:
    """Skip a credential that cannot be read right now (it is being replaced)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> bool:
        return kind is not None and issubclass(kind, (AccordError, OSError, ValueError))
