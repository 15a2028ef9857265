"""Service identity: a local CA, SPIFFE-id certificates and the checks on a peer;
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
from accord.security.spiffe import (
    InvalidSpiffeId,
    PeerRejected,
    SpiffeId,
    check_peer,
    check_trust_domain,
    uri_sans,
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
    "KeySet",
    "Leaf",
    "PeerRejected",
    "SpiffeId",
    "VerificationKey",
    "Verifier",
    "check_peer",
    "check_trust_domain",
    "create_ca",
    "issue_leaf",
    "public_jwk",
    "uri_sans",
]
