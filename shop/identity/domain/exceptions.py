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

from shop.common.errors import ValuedError

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


# The identity domain declares its own errors: each message and field is this service's
# word, answered through its own contract. One that carries values is declared by them
# and its message (shop.common.errors.ValuedError).
class IdentityError(Exception):
    """Root of every identity domain error."""


class InvalidEmail(IdentityError, ValueError):
    """Not an address a customer can register with."""


class WeakPassword(IdentityError, ValueError):
    """A password shorter than the minimum or longer than the maximum."""


class EmailTaken(IdentityError, ValuedError):
    """A customer already has this address."""

    email: str
    message = "{email} is already registered"


class InvalidCredentials(IdentityError):
    """Unknown address or wrong password; which one is not said."""


class LoginThrottled(IdentityError, ValuedError):
    """Too many login attempts on one account; the next may come in ``retry_after`` s."""

    retry_after: float
    message = "too many login attempts; try again in {retry_after:.1f}s"


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
