"""The certificate store: files, modes, atomic replacement and mismatched pairs."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from accord.security import CertError, CertStore, InvalidSpiffeId, create_ca, issue_leaf


def test_leaf_never_outlives_its_ca() -> None:
    ca = create_ca("shop.local", days=3)
    leaf = issue_leaf(ca, "orders", days=30)
    assert leaf.cert.not_valid_after_utc == ca.cert.not_valid_after_utc


def test_leaf_has_exactly_one_uri_and_is_signed_by_the_ca() -> None:
    ca = create_ca("shop.local")
    leaf = issue_leaf(ca, "inventory")
    san = leaf.cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == [
        "spiffe://shop.local/inventory"
    ]
    leaf.cert.verify_directly_issued_by(ca.cert)


def test_bad_names_are_refused() -> None:
    with pytest.raises(InvalidSpiffeId):
        create_ca("Shop Local")
    with pytest.raises(InvalidSpiffeId):
        issue_leaf(create_ca("shop.local"), "../etc")


def test_store_round_trip_and_modes(tmp_path: Path) -> None:
    store = CertStore(tmp_path / "certs")
    ca = store.init("shop.local")
    assert store.load_ca().cert == ca.cert
    assert store.load_ca().trust_domain == "shop.local"
    store.issue("orders")
    assert stat.S_IMODE(store.key_path("orders").stat().st_mode) == 0o600
    assert stat.S_IMODE(store.ca_key_path.stat().st_mode) == 0o600
    assert sorted(p.name for p in store.directory.iterdir()) == [
        "ca.crt",
        "ca.key",
        "orders.crt",
        "orders.key",
    ]


def test_a_mismatched_pair_is_refused_after_retries(tmp_path: Path) -> None:
    store = CertStore(tmp_path)
    store.init("shop.local")
    store.issue("orders")
    store.issue("payments")
    store.key_path("orders").write_bytes(store.key_path("payments").read_bytes())
    with pytest.raises(CertError, match="does not match"):
        store.load_leaf("orders", attempts=2, pause=0)


def test_a_ca_key_that_does_not_match_is_refused(tmp_path: Path) -> None:
    store = CertStore(tmp_path)
    store.init("shop.local")
    other = create_ca("shop.local")
    store.ca_key_path.write_bytes(
        other.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(CertError, match="does not match"):
        store.load_ca()


def test_rotation_never_leaves_a_half_written_file(tmp_path: Path) -> None:
    store = CertStore(tmp_path)
    store.init("shop.local")
    store.issue("orders")
    serials = set()
    for _ in range(5):
        store.rotate("orders")
        leaf = store.load_leaf("orders", attempts=1)
        serials.add(leaf.cert.serial_number)
    assert len(serials) == 5
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_unreadable_files_are_cert_errors(tmp_path: Path) -> None:
    store = CertStore(tmp_path)
    store.init("shop.local")
    store.ca_cert_path.write_text("not a certificate", encoding="utf-8")
    with pytest.raises(CertError):
        store.load_ca()
    with pytest.raises(CertError):
        store.load_leaf("missing")


def test_a_reader_racing_rotations_always_gets_a_matching_pair(tmp_path: Path) -> None:
    store = CertStore(tmp_path)
    store.init("shop.local")
    store.issue("orders")
    done = threading.Event()

    def rotate() -> None:
        try:
            for _ in range(30):
                store.rotate("orders")
        finally:
            done.set()

    worker = threading.Thread(target=rotate)
    worker.start()
    reads = 0
    while not done.is_set():
        leaf = store.load_leaf("orders", attempts=50, pause=0.001)
        assert leaf.cert.public_key() == leaf.key.public_key()
        reads += 1
    worker.join()
    assert reads > 0
