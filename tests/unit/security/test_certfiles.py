"""A certificate's fields read from its DER agree with ``cryptography``'s reading, and a
process checking peers with them alone refuses the wrong one without loading it."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from accord.security import CertStore, PeerRejected, check_peer
from accord.security.certfiles import pem_der, read_certificate
from accord.security.spiffe import uri_sans
from tests.support.processes import ROOT, run_python
from tests.unit.security.test_spiffe import NOW, TD, make_cert

ORDERS = "spiffe://shop.local/orders"


def _agree(cert: x509.Certificate) -> None:
    fields = read_certificate(cert.public_bytes(Encoding.DER))
    assert fields.serial == cert.serial_number
    assert fields.not_before == cert.not_valid_before_utc.timestamp()
    assert fields.not_after == cert.not_valid_after_utc.timestamp()
    basic = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert fields.is_ca is basic.ca
    assert list(fields.uris) == uri_sans(cert)


def test_issued_certificates_read_as_cryptography_reads_them(tmp_path: Path) -> None:
    store = CertStore(tmp_path)
    ca = store.init(TD)
    leaf = store.issue("orders")
    _agree(ca.cert)
    _agree(leaf.cert)
    pem = store.cert_path("orders").read_bytes()
    assert pem_der(pem) == leaf.cert.public_bytes(Encoding.DER)
    assert read_certificate(pem_der(pem)).uris == (f"spiffe://{TD}/orders",)


@pytest.mark.parametrize(
    "uris", [[], ["spiffe://shop.local/a", "spiffe://shop.local/b"], ["https://x.example/"]]
)
@pytest.mark.parametrize("ca", [False, True])
def test_crafted_certificates_read_alike(uris: list[str], ca: bool) -> None:
    _agree(make_cert(uris, ca=ca))


@pytest.mark.parametrize(
    ("cert", "reason"),
    [
        (make_cert([ORDERS], ca=True), "ca_certificate"),
        (make_cert([ORDERS], end=NOW - timedelta(hours=1)), "expired"),
        (make_cert([ORDERS], start=NOW + timedelta(hours=1)), "not_yet_valid"),
        (make_cert([]), "no_uri_san"),
        (make_cert(["spiffe://other.local/orders"]), "foreign_trust_domain"),
        (make_cert(["spiffe://shop.local/payments"]), "unexpected_id"),
    ],
)
def test_the_der_and_the_loaded_certificate_are_refused_alike(
    cert: x509.Certificate, reason: str
) -> None:
    for form in (cert, cert.public_bytes(Encoding.DER)):
        with pytest.raises(PeerRejected) as caught:
            check_peer(form, trust_domain=TD, expected="orders", now=NOW)
        assert caught.value.reason == reason


@pytest.mark.parametrize(
    "der",
    [b"", b"\x30\x03\x02\x01", b"\x04\x00", b"\x30\x82\xff\xff" + b"\x00" * 10],
)
def test_bytes_that_are_no_certificate_do_not_read(der: bytes) -> None:
    with pytest.raises(ValueError):
        read_certificate(der)


def test_bytes_after_the_certificate_do_not_read() -> None:
    der = make_cert([ORDERS]).public_bytes(Encoding.DER)
    with pytest.raises(ValueError):
        read_certificate(der + b"\x00")
    assert check_peer(der, trust_domain=TD, now=NOW).path == "/orders"


def test_a_prober_checks_peers_over_real_handshakes_without_cryptography(
    tmp_path: Path,
) -> None:
    store = CertStore(tmp_path)
    store.init(TD)
    for name in ("orders", "supervisor"):
        store.issue(name)
    probe = textwrap.dedent(
        f"""
        import socket, ssl, sys, threading
        from pathlib import Path
        from accord.security.tls import TLSConfig, client_context, server_context
        import accord.supervisor, accord.cli.running

        folder = Path({str(tmp_path)!r})
        server = server_context(TLSConfig(folder, "orders"))
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]

        def serve():
            for _ in range(2):
                conn, _ = listener.accept()
                try:
                    with server.wrap_socket(conn, server_side=True) as tls:
                        tls.recv(1)
                except (ssl.SSLError, OSError):
                    pass

        threading.Thread(target=serve, daemon=True).start()
        for peer in ("orders", "payments"):
            ctx = client_context(TLSConfig(folder, "supervisor"), peer)
            try:
                with socket.create_connection(("127.0.0.1", port)) as raw:
                    with ctx.wrap_socket(raw) as tls:
                        print(peer, "accepted")
            except ssl.SSLCertVerificationError as exc:
                print(peer, "refused", "unexpected_id" in str(exc))
        print("cryptography" in sys.modules)
        """
    )
    result = run_python(probe, cwd=ROOT)
    assert result.stdout.split("\n")[:3] == [
        "orders accepted",
        "payments refused True",
        "False",
    ], result.stdout + result.stderr
