"""Authentication and authorization at the boundary, from the scopes a contract declares.

::

    verifier = Verifier(keys, issuer="http://127.0.0.1:8104", audience="orders")
    app = App(Orders, service, layers=[Authentication(verifier, realm="orders")])

An operation that declares ``scopes`` needs a bearer token (RFC 6750) carrying **every**
one of them; an operation without scopes stays open, and so do the probes. Each refusal
is a problem document with the challenge RFC 6750 §3 asks for:

=======================================  ======  ====================================
what the request carried                 status  ``WWW-Authenticate``
=======================================  ======  ====================================
no ``Authorization: Bearer …``           401     ``Bearer realm="<service>"``
a token the verifier refuses             401     ``Bearer error="invalid_token",
                                                 error_description="<reason>"``
a token bound to another certificate     401     ``Bearer error="invalid_token",
than the connection's (RFC 8705)                 error_description="certificate
                                                 mismatch"``; code
                                                 ``certificate_mismatch``
a valid token without a needed scope     403     ``Bearer error="insufficient_scope",
                                                 scope="<the operation's scopes>"``
=======================================  ======  ====================================

All of an operation's scopes are needed, as in an OpenAPI security requirement
(``security: [{oauth: [a, b]}]`` asks for ``a`` and ``b``); adding a scope to an
operation is therefore a breaking change (``accord contracts check`` says so).

A request that passes carries its :class:`Principal` as ``request.principal``, and the
implementation reads it with :func:`current_principal` — what it needs for rules about
objects (a customer reads only their own orders), which no scope can express.

A composition root reads :class:`AuthSettings` from the environment once
(``ACCORD_AUTH``, ``ACCORD_ISSUER_URL``, ``ACCORD_TOKEN_ISSUER``,
``ACCORD_PUBLIC_METADATA``) and asks it for the layer and the metadata guard::

    auth = settings.auth.authentication("orders")      # None when ACCORD_AUTH=off
    app = App(Orders, service, layers=[auth] if auth else [],
              metadata_guard=settings.auth.metadata_guard(auth))
"""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import Annotated, Any, Protocol

import httpx
import msgspec

from accord.audit import AuditSink, AuditTrail, NullAudit
from accord.config.declare import setting
from accord.contract import Operation
from accord.errors import (
    STANDARD_ERRORS,
    AccordError,
    CertificateMismatch,
    Forbidden,
    ServiceError,
    Unauthenticated,
)
from accord.runtime.layers import Handler
from accord.runtime.peer import peer_certificate
from accord.runtime.requests import Request
from accord.runtime.responses import Response
from accord.runtime.routing import Handler as RouteHandler
from accord.security.binding import confirmation, thumbprint
from accord.security.tokens import InvalidToken, KeySet, Verifier
from accord.switches import parse_switch

__all__ = [
    "DEFAULT_ISSUER_URL",
    "JWKS_PATH",
    "MAX_TOKEN_BYTES",
    "METADATA_SCOPE",
    "AuthSettings",
    "AuthSettingsError",
    "Authentication",
    "Principal",
    "TokenVerifier",
    "bearer_token",
    "current_principal",
]

#: A longer ``Authorization`` value is refused before any parsing (a JWT of a few
#: scopes is well under 2 KiB).
MAX_TOKEN_BYTES = 8192

#: Where the token issuer answers when nothing says otherwise. ``accord up`` and the
#: rendered manifests set ``ACCORD_ISSUER_URL`` to the service ``accord.toml`` names as
#: ``[project] token_issuer``.
DEFAULT_ISSUER_URL = "http://127.0.0.1:8104"
#: The token issuer's key set (RFC 8414's well-known location).
JWKS_PATH = "/.well-known/jwks.json"
#: The scope ``/metrics`` and the OpenAPI documents ask for when they are not public.
METADATA_SCOPE = "metadata:read"

_STANDARD: Mapping[str, type[ServiceError[Any]]] = {e.code: e for e in STANDARD_ERRORS}
#: RFC 6750 §2.1 ``b64token``.
_B64TOKEN = re.compile(rb"[A-Za-z0-9\-._~+/]+=*")
#: Characters RFC 6750 §3 allows in ``error_description``.
_UNSAFE_DESCRIPTION = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


class Principal(Protocol):
    """Who is calling, as a verified token says (``accord.security.tokens.Claims``)."""

    @property
    def subject(self) -> str:
        """The token's ``sub``: a customer or a service (client) id."""
        ...

    @property
    def scopes(self) -> frozenset[str]:
        """What the token allows."""
        ...

    @property
    def customer_id(self) -> str | None:
        """The customer the token speaks for; ``None`` for a service's token."""
        ...


class TokenVerifier(Protocol):
    """Checks a bearer token (``accord.security.tokens.Verifier``).

    ``verify`` returns the token's claims or raises
    :class:`~accord.security.tokens.InvalidToken`, whose ``reason`` is safe to show the
    caller.
    """

    async def verify(self, token: str) -> Principal:
        """The claims of ``token``; raises ``InvalidToken`` when it is not valid."""
        ...


_principal: ContextVar[Principal | None] = ContextVar("accord_principal", default=None)


def current_principal() -> Principal | None:
    """The principal of the request being served; ``None`` for an open operation.

    Set by :class:`Authentication` around the implementation's call, so application
    code reads it without the request in hand (as it reads the current deadline).
    """
    return _principal.get()


def bearer_token(authorization: bytes | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; ``None`` when absent.

    The scheme is case-insensitive (RFC 9110 §11.1); anything else that is not a
    well-formed ``b64token`` raises :class:`~accord.errors.Unauthenticated`.
    """
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(b" ")
    if scheme.lower() != b"bearer":
        return None
    token = token.strip(b" ")
    if not token:
        raise _invalid("the Authorization header names no token")
    if len(token) > MAX_TOKEN_BYTES:
        raise _invalid("the token is too long")
    if _B64TOKEN.fullmatch(token) is None:
        raise _invalid("the token is malformed")
    return token.decode("ascii")


def _quoted(text: str) -> str:
    """``text`` made safe inside an RFC 6750 quoted-string."""
    return _UNSAFE_DESCRIPTION.sub("?", text)[:200]


def _invalid(reason: str) -> Unauthenticated:
    description = _quoted(reason)
    return Unauthenticated(f"the bearer token is not valid: {reason}").with_header(
        "WWW-Authenticate", f'Bearer error="invalid_token", error_description="{description}"'
    )


def _holds_bound_certificate(principal: Principal) -> bool:
    """Whether a certificate-bound token (RFC 8705 §3, ``cnf``/``x5t#S256``) came on a
    connection presenting that very certificate; an unbound token always passes."""
    bound = confirmation(getattr(principal, "raw", None) or {})
    if bound is None:
        return True
    presented = peer_certificate()
    return (
        bool(bound) and presented is not None and hmac.compare_digest(thumbprint(presented), bound)
    )


class _Guarded:
    """A handler of the runtime's own (``/metrics``, a document) behind a token."""

    __slots__ = ("_check", "_handler", "errors")

    def __init__(
        self, check: Callable[[Request], Awaitable[Principal]], handler: RouteHandler
    ) -> None:
        self._check = check
        self._handler = handler
        self.errors = _STANDARD

    async def __call__(self, request: Request) -> Response:
        request.principal = await self._check(request)
        return await self._handler(request)


_AUTHORIZATION = b"authorization"


class Authentication:
    """The layer that enforces an operation's declared scopes (see the module docstring).

    ``verifier`` checks tokens; ``realm`` names the service in challenges. A verifier
    that fails with anything but its own refusal (its key endpoint unreachable …) is an
    error of the service (500), not of the caller. ``audit`` receives each refused token
    (``auth.token_refused``, with the reason) and refused scope (``auth.scope_refused``,
    with the subject and the missing scopes); never the token itself. A request with no
    token at all is answered 401 but not audited (crawlers would fill the trail).
    """

    #: The request header this layer reads.
    reads = frozenset({_AUTHORIZATION})

    def __init__(
        self, verifier: TokenVerifier, *, realm: str, audit: AuditSink | None = None
    ) -> None:
        if not realm or '"' in realm or "\\" in realm:
            raise ValueError("realm must be a non-empty name without quotes or backslashes")
        self._verifier = verifier
        self.realm = realm
        self._challenge = f'Bearer realm="{realm}"'
        self._audit: AuditSink = audit if audit is not None else NullAudit()

    def _refused(self, request: Request, action: str, actor: str, **details: str) -> None:
        client = request.scope.get("client")
        self._audit.record(
            action,
            actor=actor,
            target=f"{request.method} {request.path}",
            outcome="refused",
            details={**details, "client": client[0] if client else "", "realm": self.realm},
        )

    def wrap(self, operation: Operation[Any, Any], handler: Handler) -> Handler:
        """``handler`` behind the operation's scopes; unchanged when it declares none."""
        if not operation.scopes:
            return handler
        check = self.checker(operation.scopes)

        async def authorized(request: Request) -> Response:
            principal = await check(request)
            request.principal = principal
            token = _principal.set(principal)
            try:
                return await handler(request)
            finally:
                _principal.reset(token)

        return authorized

    def guarding(self, *scopes: str) -> Callable[[RouteHandler], RouteHandler]:
        """What wraps the runtime's own routes behind ``scopes`` (``App(metadata_guard=…)``).

        ``/metrics`` and the OpenAPI documents then answer only a token with every scope.
        """
        if not scopes:
            raise ValueError("a guarded route needs at least one scope")
        check = self.checker(scopes)

        def guard(handler: RouteHandler) -> RouteHandler:
            return _Guarded(check, handler)

        return guard

    def checker(self, scopes: tuple[str, ...]) -> Callable[[Request], Awaitable[Principal]]:
        """A function that returns the request's principal when it holds every scope."""
        needed = frozenset(scopes)
        listed = " ".join(scopes)
        verify = self._verifier.verify
        challenge = self._challenge

        async def check(request: Request) -> Principal:
            try:
                token = bearer_token(request.header(_AUTHORIZATION))
            except Unauthenticated:
                self._refused(request, "auth.token_refused", "unknown", reason="malformed")
                raise
            if token is None:
                raise Unauthenticated(
                    "this operation needs a bearer token: send Authorization: Bearer <token>"
                ).with_header("WWW-Authenticate", challenge)
            try:
                principal: Principal = await verify(token)
            except InvalidToken as exc:
                self._refused(request, "auth.token_refused", "unknown", reason=exc.reason)
                raise _invalid(exc.reason) from None
            if not _holds_bound_certificate(principal):
                self._refused(
                    request, "auth.token_refused", principal.subject, reason="certificate mismatch"
                )
                raise CertificateMismatch(
                    "the token is bound to a certificate this connection did not present"
                ).with_header(
                    "WWW-Authenticate",
                    'Bearer error="invalid_token", error_description="certificate mismatch"',
                )
            if not needed <= principal.scopes:
                missing = " ".join(sorted(needed - principal.scopes))
                self._refused(
                    request, "auth.scope_refused", principal.subject, needed=listed, missing=missing
                )
                raise Forbidden(
                    f"this operation needs the scope(s) {listed}; the token lacks {missing}"
                ).with_header(
                    "WWW-Authenticate", f'Bearer error="insufficient_scope", scope="{listed}"'
                )
            return principal

        return check


class AuthSettingsError(AccordError, ValueError):
    """An environment variable has a value the authentication settings cannot use."""


def _switch(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return parse_switch(raw)
    except ValueError as exc:
        raise AuthSettingsError(f"{name} {exc}") from None


class AuthSettings(msgspec.Struct, frozen=True, kw_only=True):
    """How a service checks the tokens it is called with, read once at start-up.

    ``enabled``: enforce the contract's scopes (on unless said otherwise);
    ``identity_url``: the base URL of the token issuer, whose key set verifies tokens;
    ``issuer``: the ``iss`` tokens must carry (``identity_url`` when empty);
    ``public_metadata``: serve ``/metrics`` and the OpenAPI documents without a token
    (else they need :data:`METADATA_SCOPE`); ``audit``: write refusals to the audit trail
    ``<home>/audit/<service>.jsonl`` (:meth:`audit_trail`).
    """

    enabled: Annotated[
        bool, setting("Check callers' tokens against the contract's scopes", env="ACCORD_AUTH")
    ] = True
    identity_url: Annotated[
        str,
        setting(
            "The token issuer's base URL, whose keys verify tokens",
            pinned=True,
            env="ACCORD_ISSUER_URL",
            pattern=r"^https?://",
        ),
    ] = DEFAULT_ISSUER_URL
    issuer: Annotated[
        str,
        setting(
            "The iss tokens must carry (empty: the token issuer's URL)",
            pinned=True,
            env="ACCORD_TOKEN_ISSUER",
        ),
    ] = ""
    public_metadata: Annotated[
        bool,
        setting(
            "Serve /metrics and the OpenAPI documents without a token",
            env="ACCORD_PUBLIC_METADATA",
        ),
    ] = True
    audit: Annotated[
        bool,
        setting(
            "Write refused tokens and scopes to <home>/audit/<service>.jsonl",
            pinned=True,
            env="ACCORD_AUDIT",
        ),
    ] = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> AuthSettings:
        """``ACCORD_AUTH`` (``on``, the default, or ``off``), ``ACCORD_ISSUER_URL``
        (default :data:`DEFAULT_ISSUER_URL`), ``ACCORD_TOKEN_ISSUER`` (default: the issuer's
        URL), ``ACCORD_PUBLIC_METADATA`` (``on``, the default, or ``off``) and
        ``ACCORD_AUDIT`` (``on``, the default, or ``off``)."""
        return cls(
            enabled=_switch(environ, "ACCORD_AUTH", True),
            identity_url=(environ.get("ACCORD_ISSUER_URL") or DEFAULT_ISSUER_URL).rstrip("/"),
            issuer=environ.get("ACCORD_TOKEN_ISSUER", "").strip(),
            public_metadata=_switch(environ, "ACCORD_PUBLIC_METADATA", True),
            audit=_switch(environ, "ACCORD_AUDIT", True),
        )

    def audit_trail(self, service: str, home: str | None = None) -> AuditSink:
        """Where ``service`` writes its audit records: ``<home>/audit/<service>.jsonl``
        (``home`` defaults to ``$ACCORD_HOME`` or ``.accord``, as telemetry's does);
        nothing when auditing is off."""
        if not self.audit:
            return NullAudit()
        return AuditTrail.under(home or os.environ.get("ACCORD_HOME") or ".accord", service)

    @property
    def token_issuer(self) -> str:
        """The issuer tokens must name."""
        return self.issuer or self.identity_url.rstrip("/")

    def verifier(
        self, audience: str, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> Verifier:
        """A verifier of tokens for ``audience``, with keys from the identity service
        (fetched through ``transport``: mutual TLS, when the services speak it)."""
        keys = KeySet.from_url(self.identity_url.rstrip("/") + JWKS_PATH, transport=transport)
        return Verifier(keys, issuer=self.token_issuer, audience=audience)

    def authentication(
        self,
        service: str,
        *,
        verifier: TokenVerifier | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        audit: AuditSink | None = None,
    ) -> Authentication | None:
        """The authentication layer of ``service`` (its name is the audience and the
        realm); ``None`` when authentication is off. ``verifier`` replaces the one built
        from the identity service (tests bring their own keys); ``transport`` reaches
        the identity service's keys; ``audit`` replaces :meth:`audit_trail`."""
        if not self.enabled:
            return None
        chosen = verifier or self.verifier(service, transport=transport)
        trail = audit if audit is not None else self.audit_trail(service)
        return Authentication(chosen, realm=service, audit=trail)

    def metadata_guard(
        self, authentication: Authentication | None
    ) -> Callable[[RouteHandler], RouteHandler] | None:
        """``App(metadata_guard=…)``: ``None`` (open) when metadata is public or nothing
        checks tokens, else a guard asking for :data:`METADATA_SCOPE`."""
        if self.public_metadata or authentication is None:
            return None
        return authentication.guarding(METADATA_SCOPE)
