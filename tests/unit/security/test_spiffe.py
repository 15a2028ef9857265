"""SPIFFE id parsing and every refusal of :func:`check_peer`, on real certificates."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from accord.errors import AccordError
from accord.security import (
    InvalidSpiffeId,
    PeerRejected,
    SpiffeId,
    check_peer,
    create_ca,
    issue_leaf,
)

TD = "shop.local"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def make_cert(
    uris: list[str],
    *,
    ca: bool = False,
    start: datetime = NOW - timedelta(days=1),
    end: datetime = NOW + timedelta(days=1),
) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "peer")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    names: list[x509.GeneralName] = [x509.UniformResourceIdentifier(u) for u in uris]
    names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(key, hashes.SHA256())


@pytest.mark.parametrize(
    ("uri", "domain", "path"),
    [
        ("spiffe://shop.local/orders", "shop.local", "/orders"),
        ("spiffe://example-1.org/ns/prod/sa/web_2", "example-1.org", "/ns/prod/sa/web_2"),
    ],
)
def test_parse_accepts_well_formed_ids(uri: str, domain: str, path: str) -> None:
    ident = SpiffeId.parse(uri)
    assert (ident.trust_domain, ident.path) == (domain, path)
    assert str(ident) == uri


@pytest.mark.parametrize(
    "uri",
    [
        "https://shop.local/orders",
        "SPIFFE://shop.local/orders",
        "spiffe://shop.local",
        "spiffe://shop.local/",
        "spiffe:///orders",
        "spiffe://shop.local/orders?x=1",
        "spiffe://shop.local/orders#frag",
        "spiffe://shop.local:8443/orders",
        "spiffe://user@shop.local/orders",
        "spiffe://Shop.Local/orders",
        "spiffe://shop.local/a//b",
        "spiffe://shop.local/a/../b",
        "spiffe://shop.local/a/./b",
        "spiffe://shop.local/orders/",
        "spiffe://shop.local/ord%20ers",
    ],
)
def test_parse_refuses_malformed_ids(uri: str) -> None:
    with pytest.raises(InvalidSpiffeId):
        SpiffeId.parse(uri)


def test_invalid_id_is_an_accord_error() -> None:
    assert issubclass(InvalidSpiffeId, AccordError)
    assert issubclass(PeerRejected, AccordError)


def test_accepts_a_leaf_of_the_trust_domain() -> None:
    cert = make_cert(["spiffe://shop.local/orders"])
    ident = check_peer(cert, trust_domain=TD, now=NOW)
    assert ident == SpiffeId("shop.local", "/orders")
    assert check_peer(cert, trust_domain=TD, expected="orders", now=NOW) == ident
    assert check_peer(cert, trust_domain=TD, expected="spiffe://shop.local/orders", now=NOW)


def test_accepts_a_leaf_issued_by_the_local_ca() -> None:
    ca = create_ca(TD)
    leaf = issue_leaf(ca, "payments")
    assert str(check_peer(leaf.cert, trust_domain=TD, expected="payments")) == (
        "spiffe://shop.local/payments"
    )


@pytest.mark.parametrize(
    ("cert_kwargs", "uris", "expected", "reason"),
    [
        ({}, [], None, "no_uri_san"),
        ({}, ["spiffe://shop.local/a", "spiffe://shop.local/b"], None, "many_uri_sans"),
        ({}, ["spiffe://evil.local/orders"], None, "foreign_trust_domain"),
        ({}, ["https://shop.local/orders"], None, "bad_spiffe_id"),
        ({"end": NOW - timedelta(seconds=1)}, ["spiffe://shop.local/orders"], None, "expired"),
        (
            {"start": NOW + timedelta(hours=1), "end": NOW + timedelta(days=2)},
            ["spiffe://shop.local/orders"],
            None,
            "not_yet_valid",
        ),
        ({"ca": True}, ["spiffe://shop.local/orders"], None, "ca_certificate"),
        ({}, ["spiffe://shop.local/orders"], "payments", "unexpected_id"),
        ({}, ["spiffe://shop.local/orders"], "spiffe://other.local/orders", "unexpected_id"),
    ],
)
def test_refusals_carry_a_stable_reason(
    cert_kwargs: dict[str, object], uris: list[str], expected: str | None, reason: str
) -> None:
    cert = make_cert(uris, **cert_kwargs)  # type: ignore[arg-type]
    with pytest.raises(PeerRejected) as info:
        check_peer(cert, trust_domain=TD, expected=expected, now=NOW)
    assert info.value.reason == reason
    assert reason in str(info.value)


def test_the_ca_itself_is_refused_as_a_peer() -> None:
    ca = create_ca(TD)
    with pytest.raises(PeerRejected) as info:
        check_peer(ca.cert, trust_domain=TD)
    assert info.value.reason == "ca_certificate"


def test_a_leaf_checked_after_its_validity_is_expired() -> None:
    leaf = issue_leaf(create_ca(TD), "orders", days=1)
    later = leaf.cert.not_valid_after_utc + timedelta(seconds=1)
    with pytest.raises(PeerRejected) as info:
        check_peer(leaf.cert, trust_domain=TD, now=later)
    assert info.value.reason == "expired"
