"""The rotation schedule read without ``cryptography``: the same dates as ``cryptography``
reads, the same refusals, and a supervisor's rotator that rotates in a child process."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from accord.audit import AuditTrail, read_records
from accord.config.rotation import RotationSettings
from accord.security import CertStore, KeyStore
from accord.security.certs import cert_renewal_due
from accord.security.schedule import cert_renewal_at, cert_window, next_key_created
from tests.support.certs import forge, write_pair
from tests.support.processes import run_python

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)),
        (datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(2049, 12, 31, tzinfo=UTC)),
        # from 2050 on, a GeneralizedTime (RFC 5280 §4.1.2.5)
        (datetime(2030, 6, 15, 12, tzinfo=UTC), datetime(2077, 3, 4, 5, 6, 7, tzinfo=UTC)),
    ],
)
def test_the_validity_is_what_cryptography_reads(
    tmp_path: Path, start: datetime, end: datetime
) -> None:
    store = CertStore(tmp_path)
    ca = store.init("shop.local")
    cert, _ = forge(ca, ["spiffe://shop.local/orders"], start=start, end=end)
    pem = cert.public_bytes(serialization.Encoding.PEM)
    assert cert_window(pem) == (start.timestamp(), end.timestamp())
    assert cert_renewal_at(pem) == pytest.approx(cert_renewal_due(cert))
    assert (
        cert_window(store.ca_cert_path.read_bytes())[1] == ca.cert.not_valid_after_utc.timestamp()
    )


@pytest.mark.parametrize(
    "pem",
    [
        b"",
        b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
        b"-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n",  # SEQ{INT 1}
        b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",  # truncated
    ],
)
def test_what_is_not_a_certificate_is_a_value_error(pem: bytes) -> None:
    with pytest.raises(ValueError):
        cert_window(pem)


def test_the_next_key_is_read_without_loading_the_keys(tmp_path: Path) -> None:
    ring = KeyStore.under(tmp_path, "identity", clock=lambda: 1234.5).ensure(token_lifetime=60)
    path = tmp_path / "identity" / "signing-keys.json"
    assert next_key_created(path) == ring.next.created_at == 1234.5
    document = json.loads(path.read_text())
    document["keys"] = [k for k in document["keys"] if k["state"] != "next"]
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="one current and one next"):
        next_key_created(path)


def _overdue(certs: Path) -> None:
    """A CA and an ``orders`` certificate past two thirds of its life."""
    ca = CertStore(certs).init("shop.local")
    now = datetime.now(UTC)
    cert, key = forge(ca, ["spiffe://shop.local/orders"], start=now - timedelta(hours=3),
                      end=now + timedelta(minutes=30))  # fmt: skip
    write_pair(certs, "orders", cert, key)


def test_a_rotator_apart_rotates_in_a_child_and_audits_here(tmp_path: Path) -> None:
    past = time.time() - 3600
    keys = KeyStore.under(tmp_path, "identity", clock=lambda: past)
    first = keys.ensure(token_lifetime=60)
    certs = tmp_path / "certs"
    _overdue(certs)
    serial = CertStore(certs).load_leaf("orders").cert.serial_number
    trail = AuditTrail.under(tmp_path, "accord-supervisor")
    settings = RotationSettings(key_period=60, cert_lifetime=3600, check_interval=60)
    from accord.security.rotation import Rotator

    rotator = Rotator(tmp_path, settings=lambda: settings, certs=certs, names=["orders"],
                      audit=trail, apart=True)  # fmt: skip
    assert rotator.run_once() == pytest.approx(60.0, abs=5)  # the new next key, a period on
    ring = KeyStore.under(tmp_path, "identity").load()
    assert ring.current.kid == first.next.kid
    assert CertStore(certs).load_leaf("orders").cert.serial_number != serial
    trail.close()
    records, _ = read_records(tmp_path / "audit" / "accord-supervisor.jsonl")
    assert [(r["action"], r["outcome"]) for r in records] == [
        ("keys.rotate", "success"),
        ("certs.rotate", "success"),
    ]
    assert records[0]["details"]["current"] == first.next.kid
    assert rotator.rotations == 2


def test_a_rotation_that_fails_in_the_child_is_audited_as_failed(tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    _overdue(certs)
    (certs / "ca.key").write_text("not a key")  # the CA cannot sign the renewal
    trail = AuditTrail.under(tmp_path, "accord-supervisor")
    notices: list[str] = []
    from accord.security.rotation import Rotator

    rotator = Rotator(tmp_path, settings=RotationSettings, certs=certs, names=["orders"],
                      audit=trail, apart=True, on_notice=notices.append)  # fmt: skip
    rotator.run_once()
    trail.close()
    records, _ = read_records(tmp_path / "audit" / "accord-supervisor.jsonl")
    assert [(r["target"], r["outcome"]) for r in records] == [("orders", "failed")]
    assert records[0]["details"]["error"]
    assert notices and "failed" in notices[0]


def test_the_running_supervisor_loads_neither_typer_nor_pyjwt_nor_rich_emoji() -> None:
    probe = (
        "import sys\n"
        "from accord.cli import lean\n"
        "lean.import_without(('click', 'pygments'), ('httpx',))\n"
        "lean.uvicorn_without_command_line()\n"
        "from accord.cli.running import console_for, make_rotator, run_system\n"
        "import accord.supervisor, accord.dataplane, accord.console.server, accord.security.tls\n"
        "console_for().print('a :smile: stays as written', soft_wrap=True)\n"
        "heavy = ('typer', 'jwt', 'pydantic', 'rich._emoji_codes', 'accord.security.keys',\n"
        "         'cryptography', 'prometheus_client', 'uvicorn.main', 'watchfiles')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = run_python(probe, cwd=ROOT)
    lines = result.stdout.strip().splitlines()
    assert lines == ["a :smile: stays as written", "[]"], result.stdout + result.stderr
