"""Orders' own identity towards inventory and payments: a service token, sent as a bearer.

Orders obtains an access token from the identity service with its client credentials
(``accord.security.tokens.ClientCredentials``), carrying only the scopes its calls need,
and its typed clients send it with every call (their ``auth`` hook,
``accord.client.BearerAuth``). A call refused with 401 drops the cached token, so the
next call asks for a new one (after a key was withdrawn, say). When the identity service
cannot give a token, the call fails as the dependency ``identity`` being unavailable
(:func:`~shop.orders.adapters.dependencies.dependency_errors`).
"""

from __future__ import annotations

from accord.client import TokenSource

__all__ = ["SCOPES", "Credentials"]

#: The scopes orders asks for, and nothing more (``docs/security.md``): stock reserved,
#: committed and released (``inventory:reserve``); payments authorized, captured and
#: voided. Reading stock or payments, restocking, or anything of orders' own is refused.
SCOPES = (
    "inventory:reserve",
    "payments:authorize",
    "payments:capture",
    "payments:void",
)

#: A source of orders' access tokens (``ClientCredentials``, or a test's own).
Credentials = TokenSource
