"""Service identity: a local CA, SPIFFE-id certificates and the checks on a peer."""

from accord.security.certs import (
    CertError,
    CertificateAuthority,
    CertStore,
    Leaf,
    create_ca,
    issue_leaf,
)
from accord.security.spiffe import (
    InvalidSpiffeId,
    PeerRejected,
    SpiffeId,
    check_peer,
    check_trust_domain,
    uri_sans,
)

__all__ = [
    "CertError",
    "CertStore",
    "CertificateAuthority",
    "InvalidSpiffeId",
    "Leaf",
    "PeerRejected",
    "SpiffeId",
    "check_peer",
    "check_trust_domain",
    "create_ca",
    "issue_leaf",
    "uri_sans",
]
