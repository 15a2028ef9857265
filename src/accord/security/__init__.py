"""Service identity: a local CA, SPIFFE-id certificates, the checks on a peer and mutual TLS;
access tokens, the keys that sign them and the keys that verify them.

The names below load on first use: a service that only verifies tokens loads neither
the certificate machinery (``cryptography.x509``) nor PyJWT.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord._lazy import exports

if TYPE_CHECKING:
    from accord.security.assertions import AssertionVerifier, InvalidAssertion
    from accord.security.certfiles import CertError
    from accord.security.certs import (
        CertificateAuthority,
        CertStore,
        Leaf,
        create_ca,
        issue_leaf,
    )
    from accord.security.clientkeys import ClientKeys, sign_assertion
    from accord.security.jwks import KeySet, VerificationKey, public_jwk
    from accord.security.keys import KeyRing, KeyStore, KeyStoreError, SigningKey
    from accord.security.passwords import PasswordHasher
    from accord.security.spiffe import (
        InvalidSpiffeId,
        PeerRejected,
        SpiffeId,
        check_peer,
        check_trust_domain,
        uri_sans,
    )
    from accord.security.tls import (
        MutualTLSTransport,
        TLSConfig,
        client_context,
        ensure_certificates,
        server_context,
    )
    from accord.security.tokens import (
        Claims,
        ClientCredentials,
        InvalidToken,
        IssuedToken,
        Verifier,
    )

__all__ = [
    "AssertionVerifier",
    "CertError",
    "CertStore",
    "CertificateAuthority",
    "Claims",
    "ClientCredentials",
    "ClientKeys",
    "InvalidAssertion",
    "InvalidSpiffeId",
    "InvalidToken",
    "IssuedToken",
    "KeyRing",
    "KeySet",
    "KeyStore",
    "KeyStoreError",
    "Leaf",
    "MutualTLSTransport",
    "PasswordHasher",
    "PeerRejected",
    "SigningKey",
    "SpiffeId",
    "TLSConfig",
    "VerificationKey",
    "Verifier",
    "check_peer",
    "check_trust_domain",
    "client_context",
    "create_ca",
    "ensure_certificates",
    "issue_leaf",
    "public_jwk",
    "server_context",
    "sign_assertion",
    "uri_sans",
]

_WHERE = {
    "AssertionVerifier": "accord.security.assertions",
    "ClientKeys": "accord.security.clientkeys",
    "InvalidAssertion": "accord.security.assertions",
    "sign_assertion": "accord.security.clientkeys",
    "CertError": "accord.security.certfiles",
    "CertStore": "accord.security.certs",
    "CertificateAuthority": "accord.security.certs",
    "Claims": "accord.security.tokens",
    "ClientCredentials": "accord.security.tokens",
    "InvalidSpiffeId": "accord.security.spiffe",
    "InvalidToken": "accord.security.tokens",
    "IssuedToken": "accord.security.tokens",
    "KeyRing": "accord.security.keys",
    "KeySet": "accord.security.jwks",
    "KeyStore": "accord.security.keys",
    "KeyStoreError": "accord.security.keys",
    "Leaf": "accord.security.certs",
    "MutualTLSTransport": "accord.security.tls",
    "PasswordHasher": "accord.security.passwords",
    "PeerRejected": "accord.security.spiffe",
    "SigningKey": "accord.security.keys",
    "SpiffeId": "accord.security.spiffe",
    "TLSConfig": "accord.security.tls",
    "VerificationKey": "accord.security.jwks",
    "Verifier": "accord.security.tokens",
    "check_peer": "accord.security.spiffe",
    "check_trust_domain": "accord.security.spiffe",
    "client_context": "accord.security.tls",
    "create_ca": "accord.security.certs",
    "ensure_certificates": "accord.security.tls",
    "issue_leaf": "accord.security.certs",
    "public_jwk": "accord.security.jwks",
    "server_context": "accord.security.tls",
    "uri_sans": "accord.security.spiffe",
}


__getattr__ = exports(__name__, _WHERE)
