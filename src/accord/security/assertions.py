"""The token issuer's side of RFC 7523 client authentication: checking client assertions.

An assertion (:func:`accord.security.clientkeys.sign_assertion`) is checked against the
public keys of the client that signs it, and nothing else: the key, the signature, the
type, the issuer and subject, the audience, the times (at most :data:`MAX_LIFETIME`
ahead) and a ``jti`` never seen while it is valid.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from accord.security.clientkeys import ASSERTION_JWT_TYPE
from accord.security.jwks import KeySet
from accord.security.tokens import InvalidToken, Verifier

__all__ = ["MAX_LIFETIME", "AssertionVerifier", "InvalidAssertion"]

#: How far ahead an assertion's ``exp`` may be: the replay cache remembers no longer.
MAX_LIFETIME: Final = 300.0

Clock = Callable[[], float]


class InvalidAssertion(InvalidToken):
    """A client assertion was refused; ``reason`` is one short phrase: those of
    :class:`~accord.security.tokens.InvalidToken`, ``wrong subject``, ``missing jti``,
    ``lifetime too long`` or ``replayed``."""


class AssertionVerifier:
    """Checks client assertions addressed to ``audience`` (the token endpoint's URL).

    :meth:`verify` is given the JWKS document of the keys that may sign for the client
    (and takes keys from nowhere else). The rules of
    :class:`~accord.security.tokens.Verifier` apply (allow-listed algorithm, key by
    ``kid`` from that document only, signature, ``exp`` and ``nbf`` with ``leeway``)
    with ``typ`` :data:`ASSERTION_JWT_TYPE`, ``iss`` and ``sub`` the client id, the
    audience, a ``jti``, and an ``exp`` at most ``max_lifetime`` ahead.
    Each ``jti`` is remembered until its assertion expires, and a second use is refused
    (``replayed``): the memory is this process's, one per replica.
    """

    def __init__(
        self,
        *,
        audience: str,
        max_lifetime: float = MAX_LIFETIME,
        leeway: float = 5.0,
        clock: Clock = time.time,
    ) -> None:
        self.audience = audience
        self._max_lifetime = max_lifetime
        self._leeway = leeway
        self._clock = clock
        self._seen: dict[str, float] = {}

    async def verify(self, assertion: str, *, client_id: str, jwks: Mapping[str, Any]) -> None:
        """Accept ``assertion`` for ``client_id``, signed by a key of ``jwks``, once;
        :class:`InvalidAssertion` else."""
        verifier = Verifier(
            KeySet.static(jwks),
            issuer=client_id,
            audience=self.audience,
            algorithms=("EdDSA", "ES256"),
            leeway=self._leeway,
            typ=ASSERTION_JWT_TYPE,
            clock=self._clock,
            cache_size=0,
        )
        try:
            claims = await verifier.verify(assertion)
        except InvalidToken as exc:
            raise InvalidAssertion(exc.reason) from None
        if claims.subject != client_id:
            raise InvalidAssertion("wrong subject")
        if not claims.token_id:
            raise InvalidAssertion("missing jti")
        now = self._clock()
        if claims.expires_at > now + self._max_lifetime:
            raise InvalidAssertion("lifetime too long")
        self._forget_expired(now)
        seen = f"{client_id}\x00{claims.token_id}"
        if seen in self._seen:
            raise InvalidAssertion("replayed")
        self._seen[seen] = claims.expires_at + self._leeway

    def _forget_expired(self, now: float) -> None:
        for jti in [j for j, until in self._seen.items() if until < now]:
            del self._seen[jti]
