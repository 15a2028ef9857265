"""Service identity: a local CA, SPIFFE-id certificates, the checks on a peer and mutual TLS;
access tokens, the keys that sign them and the keys that verify them."""

from accord.security.certs import (
    CertError,
    CertificateAuthority,
    CertStore,
    Leaf,
    create_ca,
    issue_leaf,
)
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
    "CertError",
    "CertStore",
    "CertificateAuthority",
    "Claims",
    "ClientCredentials",
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
    "uri_sans",
]
