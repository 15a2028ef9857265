"""Access tokens: verifying signed JWTs (RFC 8725, RFC 9068) and the keys they name.

::

    keys = KeySet.from_url("http://127.0.0.1:8104/.well-known/jwks.json")
    verifier = Verifier(keys, issuer="accord-identity", audience="shop")
    claims = await verifier.verify(token)          # Claims, or InvalidToken

What :meth:`Verifier.verify` checks, in this order, each refusal an :class:`InvalidToken`
with a short ``reason`` that is safe to show a caller:

1. the shape: at most 8 KiB, three base64url segments, a JSON object in the header;
2. the header: no ``jku``, ``x5u``, ``jwk``, ``x5c`` (a key is never taken from, or fetched
   at, a place the token names) and no ``crit``; ``alg`` in the verifier's allow-list
   (``none`` and the HMAC family can never be on it); ``typ`` is ``at+jwt``;
3. the key: ``kid`` selects one key of the :class:`KeySet`; an unknown ``kid`` makes the key
   set refresh (at most once per ``refresh_interval``) and is refused if still unknown; the
   token's ``alg`` must be the one algorithm the key's type allows (Ed25519 → ``EdDSA``,
   P-256 → ``ES256``), so a public key can never be used as an HMAC secret;
4. the signature, then the claims: ``iss`` and ``aud``, ``exp`` and ``nbf`` with a small
   leeway, ``sub``.

A :class:`KeySet` fetches only the one URL it was built with, keeps the keys it has when
that fetch fails, and never stores a private key a JWKS document might carry.
:class:`ClientCredentials` is the other side: a service's cached access token, asked for
again shortly before it expires.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import anyio
import httpx
import msgspec

from accord.errors import AccordError
from accord.security.jwks import KeySet, VerificationKey, b64decode, public_jwk

if TYPE_CHECKING:
    from accord.security.jwks import PublicKey

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "SUPPORTED_ALGORITHMS",
    "Claims",
    "ClientCredentials",
    "InvalidToken",
    "IssuedToken",
    "KeySet",
    "PublicKey",
    "VerificationKey",
    "Verifier",
    "public_jwk",
]

#: The ``typ`` header of an access token (RFC 9068 §2.1).
ACCESS_TOKEN_TYPE: Final = "at+jwt"  # noqa: S105 - a media type, not a secret
#: Every algorithm a verifier may allow, each bound to one key type. No ``none``, no HMAC.
SUPPORTED_ALGORITHMS: Final = frozenset({"EdDSA", "ES256"})
#: Tokens longer than this are refused before any parsing.
MAX_TOKEN_BYTES: Final = 8192

#: Header members that point at a key elsewhere; a token carrying one is refused.
_KEY_REFERENCES: Final = ("jku", "x5u", "jwk", "x5c")

Clock = Callable[[], float]


def __getattr__(name: str) -> Any:
    # ``PublicKey`` loads cryptography's key classes: only when asked for.
    if name == "PublicKey":
        from accord.security import jwks

        return jwks.PublicKey
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class InvalidToken(AccordError):
    """A token was refused; ``reason`` is one short phrase, safe to show a caller.

    Reasons: ``malformed``, ``too long``, ``key reference not allowed``,
    ``critical header not supported``, ``algorithm not allowed``, ``wrong type``,
    ``missing key id``, ``unknown key``, ``algorithm does not match key``,
    ``bad signature``, ``expired``, ``not yet valid``, ``wrong issuer``,
    ``wrong audience``, ``missing subject``, ``bad claims``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Claims(msgspec.Struct, frozen=True, kw_only=True):
    """What a verified access token says about its bearer."""

    subject: str
    scopes: frozenset[str]
    issuer: str
    audience: tuple[str, ...]
    expires_at: int
    token_id: str | None = None
    customer_id: str | None = None
    client_id: str | None = None
    issued_at: int | None = None
    raw: dict[str, Any] = msgspec.field(default_factory=dict)

    def allows(self, required: Iterable[str]) -> bool:
        """Whether the token carries every scope in ``required``."""
        return self.scopes.issuperset(required)


# --- verification -------------------------------------------------------------------------


def _json_object(segment: str) -> dict[str, Any]:
    try:
        value = msgspec.json.decode(b64decode(segment))
    except (ValueError, msgspec.DecodeError) as exc:
        raise InvalidToken("malformed") from exc
    if not isinstance(value, dict):
        raise InvalidToken("malformed")
    return value


def _time(claims: Mapping[str, Any], name: str, *, required: bool) -> int | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidToken("bad claims")
    return int(value)


def _optional_str(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidToken("bad claims")
    return value


class Verifier:
    """Verifies access tokens signed by one issuer for one audience.

    ``algorithms`` is the allow-list (a subset of :data:`SUPPORTED_ALGORITHMS`); ``leeway``
    the clock skew, in seconds, granted to ``exp`` and ``nbf``; ``typ`` the required type
    header; ``clock`` the wall clock (seconds since the epoch).

    The last ``cache_size`` tokens verified are remembered by their exact text, so a
    caller that sends the same token again (a service's token lives for minutes) costs a
    dictionary lookup instead of a signature check: a remembered token is still checked
    against the clock, and against the key set (its key must still be there, and an old
    set is refreshed as for any other lookup). ``0`` turns the cache off.
    """

    def __init__(
        self,
        keys: KeySet,
        *,
        issuer: str,
        audience: str,
        algorithms: Iterable[str] = ("EdDSA",),
        leeway: float = 30.0,
        typ: str = ACCESS_TOKEN_TYPE,
        clock: Clock = time.time,
        cache_size: int = 1024,
    ) -> None:
        allowed = frozenset(algorithms)
        if not allowed or not allowed <= SUPPORTED_ALGORITHMS:
            raise ValueError(
                f"algorithms must be a non-empty subset of {sorted(SUPPORTED_ALGORITHMS)}"
            )
        if leeway < 0:
            raise ValueError("leeway must not be negative")
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.algorithms = allowed
        self.leeway = leeway
        self._types = frozenset({typ.lower(), "application/" + typ.lower()})
        self._clock = clock
        self._cache_size = max(0, cache_size)
        self._verified: dict[str, tuple[VerificationKey, Claims]] = {}

    async def verify(self, token: str) -> Claims:
        """The claims of ``token``, or :class:`InvalidToken` saying why not."""
        if not isinstance(token, str):
            raise InvalidToken("malformed")
        if len(token) > MAX_TOKEN_BYTES:
            raise InvalidToken("too long")
        remembered = self._verified.get(token)
        if remembered is not None:
            key, claims = remembered
            if await self.keys.get(key.kid) is key:
                self._check_times(claims.raw)
                return claims
            del self._verified[token]
        parts = token.split(".")
        if len(parts) != 3 or not parts[0] or not parts[1]:
            raise InvalidToken("malformed")
        header_b64, payload_b64, signature_b64 = parts
        header = _json_object(header_b64)
        key = await self._key_for(header)
        try:
            signature = b64decode(signature_b64)
        except ValueError as exc:
            raise InvalidToken("malformed") from exc
        signed = f"{header_b64}.{payload_b64}".encode("ascii")
        if not key.verify(signed, signature):
            raise InvalidToken("bad signature")
        claims = self._claims(_json_object(payload_b64))
        if self._cache_size:
            if len(self._verified) >= self._cache_size:
                del self._verified[next(iter(self._verified))]  # the oldest
            self._verified[token] = (key, claims)
        return claims

    async def _key_for(self, header: Mapping[str, Any]) -> VerificationKey:
        if any(name in header for name in _KEY_REFERENCES):
            raise InvalidToken("key reference not allowed")
        if "crit" in header:
            raise InvalidToken("critical header not supported")
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise InvalidToken("algorithm not allowed")
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in self._types:
            raise InvalidToken("wrong type")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > 128:
            raise InvalidToken("missing key id")
        key = await self.keys.get(kid)
        if key is None:
            raise InvalidToken("unknown key")
        if key.algorithm != alg:
            raise InvalidToken("algorithm does not match key")
        return key

    def _check_times(self, claims: Mapping[str, Any]) -> tuple[int, int | None]:
        now = self._clock()
        exp = _time(claims, "exp", required=True)
        assert exp is not None
        if now > exp + self.leeway:
            raise InvalidToken("expired")
        nbf = _time(claims, "nbf", required=False)
        if nbf is not None and now + self.leeway < nbf:
            raise InvalidToken("not yet valid")
        return exp, nbf

    def _claims(self, claims: dict[str, Any]) -> Claims:
        if claims.get("iss") != self.issuer:
            raise InvalidToken("wrong issuer")
        aud = claims.get("aud")
        audience = (aud,) if isinstance(aud, str) else aud
        if not isinstance(audience, list | tuple) or self.audience not in audience:
            raise InvalidToken("wrong audience")
        if not all(isinstance(a, str) for a in audience):
            raise InvalidToken("bad claims")
        exp, _ = self._check_times(claims)
        iat = _time(claims, "iat", required=False)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise InvalidToken("missing subject")
        scope = claims.get("scope", "")
        if not isinstance(scope, str):
            raise InvalidToken("bad claims")
        return Claims(
            subject=subject,
            scopes=frozenset(scope.split()),
            issuer=self.issuer,
            audience=tuple(audience),
            expires_at=exp,
            token_id=_optional_str(claims, "jti"),
            customer_id=_optional_str(claims, "customer_id"),
            client_id=_optional_str(claims, "client_id"),
            issued_at=iat,
            raw=claims,
        )


# --- the client side ------------------------------------------------------------------------


class IssuedToken(msgspec.Struct, frozen=True, kw_only=True):
    """An access token as a token endpoint answers it (RFC 6749 §5.1)."""

    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme's name
    expires_in: float
    scope: str = ""


RequestToken = Callable[[], Awaitable[IssuedToken]]


def _post_grant(
    token_url: str,
    body: Mapping[str, str],
    transport: httpx.AsyncBaseTransport | None,
    timeout: float,
) -> RequestToken:
    """A request of the client-credentials grant ``body`` (JSON) at ``token_url``."""

    async def request() -> IssuedToken:
        async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
            response = await client.post(token_url, json=dict(body))
        if response.status_code != 200:
            raise InvalidToken(f"token endpoint answered {response.status_code}")
        try:
            return msgspec.json.decode(response.content, type=IssuedToken)
        except msgspec.DecodeError as exc:
            raise InvalidToken("malformed") from exc

    return request


class ClientCredentials:
    """A service's access token, cached until ``refresh_before`` seconds before it expires.

    ``request`` asks the token endpoint for a new one. :meth:`with_private_key` and
    :meth:`over_mtls` build it for a token endpoint that takes the client-credentials
    grant as JSON, the client authenticated by its own key (RFC 7523) or certificate
    (RFC 8705): no shared secret either way.
    Concurrent callers share one request; after a 401 from a server, :meth:`invalidate`
    drops the cached token so the next call asks again.
    """

    def __init__(
        self, request: RequestToken, *, refresh_before: float = 60.0, clock: Clock = time.monotonic
    ) -> None:
        self._request = request
        self._refresh_before = refresh_before
        self._clock = clock
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = anyio.Lock()
        self.requests = 0

    @classmethod
    def over_mtls(
        cls,
        token_url: str,
        client_id: str,
        *,
        transport: httpx.AsyncBaseTransport,
        scopes: Iterable[str] = (),
        timeout: float = 2.0,
        refresh_before: float = 60.0,
        clock: Clock = time.monotonic,
    ) -> ClientCredentials:
        """Client credentials without a secret: the client authenticates with the
        certificate ``transport`` presents (OAuth 2.0 mutual-TLS client authentication,
        RFC 8705 §2, ``tls_client_auth``), and the token it gets is bound to that
        certificate (``cnf``/``x5t#S256``). Give the same token to a
        :class:`~accord.security.tls.MutualTLSTransport` built with
        ``credentials=`` this object, so each call carries a token bound to the
        certificate of its own connection across certificate renewals."""
        body = {"grant_type": "client_credentials", "client_id": client_id}
        if scopes:
            body["scope"] = " ".join(scopes)
        return cls(
            _post_grant(token_url, body, transport, timeout),
            refresh_before=refresh_before,
            clock=clock,
        )

    @classmethod
    def with_private_key(
        cls,
        token_url: str,
        client_id: str,
        key_file: Path,
        *,
        scopes: Iterable[str] = (),
        timeout: float = 2.0,
        transport: httpx.AsyncBaseTransport | None = None,
        refresh_before: float = 60.0,
        clock: Clock = time.monotonic,
    ) -> ClientCredentials:
        """Client credentials without a shared secret: each token request carries a
        client assertion (RFC 7523 ``private_key_jwt``) signed with the private key in
        ``key_file`` (:class:`~accord.security.clientkeys.ClientKeys`), addressed to
        ``token_url``. The key is read when the first token is asked for, so the file
        may appear after start-up."""
        from accord.security.clientkeys import (
            ASSERTION_TYPE,
            ClientKeyError,
            ClientKeys,
            sign_assertion,
        )

        keys = ClientKeys(key_file.parent)
        name = key_file.name.removesuffix(".key")

        async def request() -> IssuedToken:
            try:
                key = keys.private_key(name)
            except ClientKeyError as exc:
                raise InvalidToken(f"no private key for client {client_id}") from exc
            body = {
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": sign_assertion(key, client_id, token_url),
            }
            if scopes:
                body["scope"] = " ".join(scopes)
            return await _post_grant(token_url, body, transport, timeout)()

        return cls(request, refresh_before=refresh_before, clock=clock)

    async def token(self) -> str:
        """A token valid for at least ``refresh_before`` more seconds (or a fresh one)."""
        if self._token is not None and self._clock() < self._renew_at:
            return self._token
        async with self._lock:
            if self._token is not None and self._clock() < self._renew_at:
                return self._token
            issued_at = self._clock()
            issued = await self._request()
            self.requests += 1
            lifetime = max(issued.expires_in - self._refresh_before, issued.expires_in / 2)
            self._token, self._renew_at = issued.access_token, issued_at + lifetime
            return self._token

    def invalidate(self) -> None:
        """Forget the cached token (a server refused it)."""
        self._token = None
