"""Client assertions (RFC 7523 ``private_key_jwt``), checked against public keys only.

::

    <home>/client-keys/<name>.jwks.json     the public keys of each workload

Identity reads the public halves of the key pairs the project made
(:class:`accord.security.clientkeys.ClientKeys`); it never needs a client's private key,
and there is no shared secret to leak. Which workloads may speak for which client is the
domain's table (:data:`shop.identity.domain.model.CLIENT_CREDENTIALS`), reviewed with the
code. The files are read on each grant, so a key added or replaced needs no restart.
"""

from __future__ import annotations

from accord.security.assertions import AssertionVerifier, InvalidAssertion
from accord.security.clientkeys import ClientKeys

__all__ = ["KeyAssertions"]


class KeyAssertions:
    """The ``ClientAssertions`` port over a folder of public keys.

    ``audience`` is the token endpoint's own URL, the ``aud`` every assertion must name.
    """

    def __init__(self, keys: ClientKeys, *, audience: str) -> None:
        self.keys = keys
        self._verifier = AssertionVerifier(audience=audience)

    async def check(self, client_id: str, holders: frozenset[str], assertion: str) -> str | None:
        """``None`` when ``assertion`` authenticates ``client_id``; else the reason."""
        jwks = self.keys.public_jwks(sorted(holders))
        try:
            await self._verifier.verify(assertion, client_id=client_id, jwks=jwks)
        except InvalidAssertion as exc:
            return exc.reason
        return None
