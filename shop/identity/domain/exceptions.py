"""What can go wrong in identity, in the domain's own words.

IdentityError
├── InvalidEmail        not an address a customer can register with
├── WeakPassword        shorter than the minimum, or longer than the maximum
├── EmailTaken          a customer already has this address
├── InvalidCredentials  unknown address or wrong password (never says which)
├── LoginThrottled      too many attempts on one account: wait ``retry_after`` seconds
├── InvalidClient       a service client not authenticated (certificate or key)
├── ScopeNotAllowed     a client asked for a scope it may not have
└── DevLoginDisabled    the password-less development login is off
"""

from __future__ import annotations

__all__ = [
    "DevLoginDisabled",
    "EmailTaken",
    "IdentityError",
    "InvalidClient",
    "InvalidCredentials",
    "InvalidEmail",
    "LoginThrottled",
    "ScopeNotAllowed",
    "WeakPassword",
]


# The identity domain declares its own errors, alike in shape to the other services' (one
# value carried, a message made of it) but not shared with them: a domain imports the
# standard library and itself alone (tests/unit/test_boundaries.py), and each message
# and field is this service's word, answered through its own contract.
class IdentityError(Exception):
    """Root of every identity domain error."""


class InvalidEmail(IdentityError, ValueError):
    """Not an address a customer can register with."""


class WeakPassword(IdentityError, ValueError):
    """A password shorter than the minimum or longer than the maximum."""


class EmailTaken(IdentityError):
    """A customer already has this address."""

    def __init__(self, email: str) -> None:
        super().__init__(f"{email} is already registered")
        self.email = email


class InvalidCredentials(IdentityError):
    """Unknown address or wrong password; which one is not said."""


class LoginThrottled(IdentityError):
    """Too many login attempts on one account; the next may come in ``retry_after`` s."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many login attempts; try again in {retry_after:.1f}s")
        self.retry_after = retry_after


class InvalidClient(IdentityError):
    """A service client that did not authenticate: unknown, or its certificate or client
    assertion refused."""


class ScopeNotAllowed(IdentityError):
    """A client asked for scopes it may not have."""

    def __init__(self, client_id: str, scopes: frozenset[str]) -> None:
        super().__init__(f"{client_id} may not have {' '.join(sorted(scopes))}")
        self.client_id = client_id
        self.scopes = scopes


class DevLoginDisabled(IdentityError):
    """The password-less development login is off."""
