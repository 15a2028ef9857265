"""The rotation schedule: when keys and certificates are due, and one pass of the rotator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from accord.audit import AuditTrail, read_records
from accord.config.rotation import RotationSettings, load_settings
from accord.security import CertStore, KeyStore
from accord.security.rotation import Rotator, cert_renewal_due, key_rotation_due, next_wake
from accord.security.tls import ensure_certificates


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_keys_are_due_when_the_next_key_was_published_a_whole_period() -> None:
    from accord.security.keys import KeyRing, SigningKey

    ring = KeyRing((SigningKey.generate("current", 400.0), SigningKey.generate("next", 900.0)), 60)
    assert key_rotation_due(ring, 86_400) == 900.0 + 86_400
    assert key_rotation_due(ring, 20) == 920.0


def test_a_certificate_is_due_at_two_thirds_of_its_life(tmp_path: Path) -> None:
    store = CertStore(tmp_path)
    store.init("shop.local")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    from accord.security.certs import issue_leaf

    leaf = issue_leaf(store.load_ca(), "orders", now=now, lifetime=timedelta(hours=24))
    start = leaf.cert.not_valid_before_utc
    end = leaf.cert.not_valid_after_utc
    assert end == now + timedelta(hours=24)
    assert start == now - timedelta(minutes=5)  # backdated by at most five minutes
    assert cert_renewal_due(leaf.cert) == pytest.approx((start + (end - start) * 2 / 3).timestamp())
    short = issue_leaf(store.load_ca(), "orders", now=now, lifetime=timedelta(seconds=30))
    assert short.cert.not_valid_before_utc == now - timedelta(seconds=3)  # a tenth of it


def test_the_rotator_sleeps_until_the_soonest_due_time_within_its_cap() -> None:
    assert next_wake(100.0, [130.0, 110.0], cap=60) == 10.0
    assert next_wake(100.0, [500.0], cap=60) == 60.0
    assert next_wake(100.0, [], cap=60) == 60.0
    assert next_wake(100.0, [90.0], cap=60) == 0.2  # overdue: look again soon, not spin


def test_short_lived_certificates_are_kept_until_two_thirds_then_issued_again(
    tmp_path: Path,
) -> None:
    life = timedelta(hours=3)
    assert ensure_certificates(tmp_path, ["orders"], trust_domain="shop.local", lifetime=life) == [
        "orders"
    ]
    cert = CertStore(tmp_path).load_leaf("orders").cert
    due = datetime.fromtimestamp(cert_renewal_due(cert), UTC)
    early = due - timedelta(seconds=5)
    late = due + timedelta(seconds=5)
    kept = ensure_certificates(
        tmp_path, ["orders"], trust_domain="shop.local", now=early, lifetime=life
    )
    assert kept == []
    renewed = ensure_certificates(
        tmp_path, ["orders"], trust_domain="shop.local", now=late, lifetime=life
    )
    assert renewed == ["orders"]


def test_one_pass_rotates_what_is_due_and_writes_the_audit_trail(tmp_path: Path) -> None:
    clock = Clock(10_000.0)
    keys = KeyStore.under(tmp_path, "identity", clock=clock)
    first = keys.ensure(token_lifetime=60)
    ensure_certificates(tmp_path / "certs", ["orders"], trust_domain="shop.local",
                        lifetime=timedelta(hours=1))  # fmt: skip
    serial = CertStore(tmp_path / "certs").load_leaf("orders").cert.serial_number
    trail = AuditTrail.under(tmp_path, "accord-supervisor")
    settings = RotationSettings(key_period=30, cert_lifetime=3600, check_interval=60)
    rotator = Rotator(
        tmp_path,
        settings=lambda: settings,
        certs=tmp_path / "certs",
        names=["orders"],
        audit=trail,
        clock=clock,
    )

    assert rotator.run_once() == pytest.approx(30.0)  # keys due in 30 s; the cert later
    assert keys.load().current.kid == first.current.kid

    clock.now += 30
    rotator.run_once()
    ring = keys.load()
    assert ring.current.kid == first.next.kid
    assert [k.kid for k in ring.retired] == [first.current.kid]
    assert CertStore(tmp_path / "certs").load_leaf("orders").cert.serial_number == serial

    clock.now = cert_renewal_due(CertStore(tmp_path / "certs").load_leaf("orders").cert) + 1
    rotator.run_once()  # the keys are due again too (30 s periods)
    leaf = CertStore(tmp_path / "certs").load_leaf("orders")
    assert leaf.cert.serial_number != serial
    trail.close()
    records, _ = read_records(tmp_path / "audit" / "accord-supervisor.jsonl")
    actions = [(r["action"], r["target"], r["outcome"]) for r in records]
    assert actions[0] == ("keys.rotate", "signing-keys", "success")
    assert ("certs.rotate", "orders", "success") in actions
    assert all(r["actor"] == "accord-supervisor" and r["details"]["scheduled"] for r in records)
    assert rotator.rotations == len(records)


def test_settings_come_from_the_variables_and_survive_a_bad_value(tmp_path: Path) -> None:
    environ = {"ACCORD_KEY_ROTATION_PERIOD": "20", "ACCORD_CERT_LIFETIME": "12"}
    read = load_settings(tmp_path, environ)
    first = read()
    assert (first.key_period, first.cert_lifetime) == (20.0, 12.0)
    environ["ACCORD_CERT_LIFETIME"] = "1"  # below the minimum: the last good ones stay
    assert read() == first


def test_a_restarted_rotator_keeps_the_same_schedule(tmp_path: Path) -> None:
    clock = Clock(50_000.0)
    KeyStore.under(tmp_path, "identity", clock=clock).ensure(token_lifetime=60)
    ensure_certificates(tmp_path / "certs", ["orders"], trust_domain="shop.local",
                        lifetime=timedelta(hours=1))  # fmt: skip
    settings = RotationSettings(key_period=100, cert_lifetime=3600)

    def rotator() -> Rotator:
        return Rotator(tmp_path, settings=lambda: settings, certs=tmp_path / "certs",
                       names=["orders"], clock=clock)  # fmt: skip

    first = rotator().schedule(settings)
    clock.now += 40  # the supervisor stopped and started again: nothing was kept in memory
    assert rotator().schedule(settings) == first
    assert (first[0].kind, first[0].due) == ("keys", 50_100.0)
    clock.now = 50_100.0
    assert rotator().run_once() >= 0.2
    assert rotator().schedule(settings)[0].due == 50_200.0  # the new next key, a period on
