"""Grants signed as JWT access tokens with the key store's current key.

The key file is read again whenever it changes on disk (a ``stat`` per token), so
``accord keys rotate`` takes effect on the next token without a restart.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from accord.security.binding import CONFIRMATION, THUMBPRINT
from accord.security.keys import KeyStore
from shop.identity.application.ports import AccessToken
from shop.identity.domain.model import Grant

__all__ = ["DEFAULT_LIFETIME", "JwtIssuer"]

logger = logging.getLogger("shop.identity.tokens")

#: How long an access token lives, in seconds.
DEFAULT_LIFETIME = 900


class JwtIssuer:
    """The ``TokenIssuer`` port: RFC 9068 access tokens signed with ``store``'s current key."""

    def __init__(
        self,
        store: KeyStore,
        *,
        issuer: str,
        lifetime: int = DEFAULT_LIFETIME,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self.issuer = issuer
        self.lifetime = lifetime
        self._clock = clock
        self._signing_kid: str | None = None

    def issue(self, grant: Grant) -> AccessToken:
        """Sign ``grant`` with ``iss``, ``sub``, ``aud``, ``scope``, times and a ``jti``."""
        now = int(self._clock())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": grant.subject,
            "aud": list(grant.audience),
            "scope": " ".join(sorted(grant.scopes)),
            "iat": now,
            "nbf": now,
            "exp": now + self.lifetime,
            "jti": secrets.token_urlsafe(16),
        }
        if grant.customer_id is not None:
            claims["customer_id"] = grant.customer_id
        if grant.client_id is not None:
            claims["client_id"] = grant.client_id
        if grant.certificate is not None:
            claims[CONFIRMATION] = {THUMBPRINT: grant.certificate}
        ring = self._store.load()
        if ring.current.kid != self._signing_kid:
            logger.info("signing with key %s (next: %s)", ring.current.kid, ring.next.kid)
            self._signing_kid = ring.current.kid
        token = ring.sign(claims)
        return AccessToken(token=token, expires_in=self.lifetime, scopes=grant.scopes)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public keys now published: current, next and retired-but-unexpired."""
        return self._store.load().jwks(self._clock())
