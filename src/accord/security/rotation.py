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
import json
import logging
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from accord.audit import AuditSink, NullAudit
from accord.errors import AccordError
from accord.security.schedule import KEY_FILE, RENEW_AT, cert_path, cert_renewal_at, key_files
from accord.security.schedule import next_key_created as _next_key_created

if TYPE_CHECKING:
    from cryptography import x509

    from accord.security.certs import CertStore
    from accord.security.keys import KeyRing, KeyStore

__all__ = [
    "RENEW_AT",
    "Rotator",
    "Schedule",
    "cert_renewal_due",
    "key_rotation_due",
    "next_wake",
    "renew_cert",
    "rotate_keys",
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


def cert_renewal_due(cert: x509.Certificate) -> float:
    """When ``cert`` is renewed on schedule (:func:`accord.security.certs.cert_renewal_due`)."""
    from accord.security.certs import cert_renewal_due as due

    return due(cert)


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
    in ``certs`` (``None``: no certificates, plain HTTP) when they are due.

    The schedule is read without ``cryptography`` (:mod:`accord.security.schedule`);
    rotating loads it. With ``apart`` each rotation runs in a short-lived child process
    (``python -m accord.security.rotation``) at the real time, so the process that runs
    the rotator never loads it (``accord up``'s supervisor); otherwise here, on ``clock``.
    """

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
        apart: bool = False,
    ) -> None:
        self.home = home
        self._keys: KeyStore | None = None
        self._key_file: Path | None = None
        self.cert_dir = certs
        self._certs: CertStore | None = None
        self.apart = apart
        self.names = list(names)
        self.settings = settings
        self._audit: AuditSink = audit if audit is not None else NullAudit()
        self._clock = clock
        self._notice = on_notice or (lambda message: logger.info("%s", message))
        self.rotations = 0

    def schedule(self, settings: Schedule) -> list[Due]:
        """When each credential is due (those that exist)."""
        dues: list[Due] = []
        key_file = self._find_key_file()
        if key_file is not None:
            with _quiet():
                due = _next_key_created(key_file) + settings.key_period
                dues.append(Due("keys", "signing-keys", due))
        if self.cert_dir is not None:
            for name in self.names:
                with _quiet():
                    pem = cert_path(self.cert_dir, name).read_bytes()
                    dues.append(Due("certs", name, cert_renewal_at(pem)))
        return dues

    @property
    def keys(self) -> KeyStore | None:
        """The signing keys of the one service under ``home`` that keeps them, once it
        has made them (``None`` before)."""
        if self._keys is None:
            from accord.security.keys import KeyStore

            with _quiet():
                self._keys = KeyStore.find(self.home, clock=self._clock)
        return self._keys

    @property
    def certs(self) -> CertStore | None:
        """The certificate folder (``None``: no certificates)."""
        if self._certs is None and self.cert_dir is not None:
            from accord.security.certs import CertStore

            self._certs = CertStore(self.cert_dir)
        return self._certs

    def _find_key_file(self) -> Path | None:
        """The key file of the one service that keeps signing keys (as
        :meth:`accord.security.keys.KeyStore.find`), once there is exactly one."""
        if self._key_file is None:
            found = key_files(self.home, KEY_FILE)
            self._key_file = found[0] if len(found) == 1 else None
        return self._key_file

    def run_once(self) -> float:
        """Rotate whatever is due now; return the seconds until the next look."""
        settings = self.settings()
        now = self._clock()
        due = [item for item in self.schedule(settings) if item.due <= now]
        done = self._apart(due, settings) if self.apart and due else {}
        for item in due:
            self._rotate(item, settings, done.get(item.target))
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

    def _rotate(self, item: Due, settings: Schedule, apart: Mapping[str, Any] | None) -> None:
        try:
            if apart is not None:  # done in the child: its details, or its error
                details = _answer(apart)
            elif item.kind == "keys":
                details = self._rotate_keys(settings)
            else:
                details = self._cert(item, settings)
        except (AccordError, OSError, ValueError) as exc:
            error = " ".join(str(exc).split())
            self._record(item, "failed", {"error": error})
            self._notice(f"scheduled rotation of {item.target} failed: {error}")
            return
        self.rotations += 1
        self._record(item, "success", details)
        shown = ", ".join(f"{k} {v}" for k, v in details.items() if k != "scheduled")
        self._notice(f"rotated {item.target} on schedule: {shown}")

    def _apart(self, due: list[Due], settings: Schedule) -> dict[str, dict[str, Any]]:
        """Every due rotation, in one child process: each target's answer."""
        specs: list[dict[str, Any]] = []
        for item in due:
            if item.kind == "keys":
                key_file = self._find_key_file()
                specs.append({"kind": "keys", "target": item.target, "file": str(key_file),
                              "period": settings.key_period})  # fmt: skip
            else:
                specs.append({"kind": "certs", "target": item.target, "dir": str(self.cert_dir),
                              "lifetime": settings.cert_lifetime})  # fmt: skip
        return _run_apart(specs)

    def _rotate_keys(self, settings: Schedule) -> dict[str, object]:
        keys = self.keys
        assert keys is not None
        return rotate_keys(keys, settings.key_period)

    def _cert(self, item: Due, settings: Schedule) -> dict[str, object]:
        assert self.certs is not None
        return renew_cert(self.certs, item.target, settings.cert_lifetime)

    def _record(self, item: Due, outcome: str, details: Mapping[str, object]) -> None:
        self._audit.record(
            f"{item.kind}.rotate", actor=ACTOR, target=item.target, outcome=outcome, details=details
        )


def rotate_keys(keys: KeyStore, period: float) -> dict[str, object]:
    """Rotate the signing keys once; the audit record's details."""
    from accord.security.keys import MIN_PUBLISHED

    before = keys.load()
    after = keys.rotate(min_age=min(MIN_PUBLISHED, period))
    return {
        "current": after.current.kid,
        "next": after.next.kid,
        "retired": before.current.kid,
        "scheduled": True,
    }


def renew_cert(certs: CertStore, name: str, lifetime: float) -> dict[str, object]:
    """Issue ``name``'s certificate again, valid ``lifetime`` seconds; the details."""
    leaf = certs.issue(name, lifetime=timedelta(seconds=lifetime))
    return {
        "spiffe_id": str(leaf.spiffe_id),
        "serial": f"{leaf.cert.serial_number:x}",
        "not_after": leaf.cert.not_valid_after_utc.isoformat(),
        "scheduled": True,
    }


#: The longest the rotations of one pass may take in their child process.
_APART_TIMEOUT: Final = 60.0


def _run_apart(specs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The rotations ``specs`` in one child process (:func:`_main`): each target's
    ``{"details": …}`` or ``{"error": …}``; the child's own failure is every target's."""
    argv = [sys.executable, "-m", "accord.security.rotation", json.dumps(specs)]
    try:
        done = subprocess.run(  # noqa: S603 - this same Python, fixed module
            argv, capture_output=True, timeout=_APART_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        failed = f"the rotations did not end within {_APART_TIMEOUT:.0f}s"
        return {spec["target"]: {"error": failed} for spec in specs}
    lines = done.stdout.decode(errors="replace").strip().splitlines()
    try:
        answers = json.loads(lines[-1]) if lines else None
    except ValueError:
        answers = None
    if isinstance(answers, dict):
        return answers
    said = done.stderr.decode(errors="replace").strip().splitlines()
    failed = said[-1] if said else f"the rotation process ended with status {done.returncode}"
    return {spec["target"]: {"error": failed} for spec in specs}


def _answer(answer: Mapping[str, Any]) -> dict[str, object]:
    details = answer.get("details")
    if isinstance(details, dict):
        return dict(details)
    raise AccordError(str(answer.get("error") or "no answer from the rotation process"))


def _main(raw: str) -> int:
    """``python -m accord.security.rotation SPECS``: the rotations, in order; one JSON
    line out with each target's details or error."""
    answers: dict[str, dict[str, Any]] = {}
    for spec in json.loads(raw):
        try:
            if spec["kind"] == "keys":
                from accord.security.keys import KeyStore

                store = KeyStore(Path(spec["file"]))
                details = rotate_keys(store, float(spec["period"]))
            else:
                from accord.security.certs import CertStore

                certs = CertStore(Path(spec["dir"]))
                details = renew_cert(certs, str(spec["target"]), float(spec["lifetime"]))
        except (AccordError, OSError, ValueError) as exc:
            answers[spec["target"]] = {"error": " ".join(str(exc).split())}
        else:
            answers[spec["target"]] = {"details": details}
    print(json.dumps(answers))
    return 0


class _quiet:
    """Skip a credential that cannot be read right now (it is being replaced)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> bool:
        return kind is not None and issubclass(kind, (AccordError, OSError, ValueError))


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1]))
