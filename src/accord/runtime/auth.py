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
a valid token without a needed scope     403     ``Bearer error="insufficient_scope",
                                                 scope="<the operation's scopes>"``
=======================================  ======  ====================================

All of an operation's scopes are needed, as in an OpenAPI security requirement
(``security: [{oauth: [a, b]}]`` asks for ``a`` and ``b``); adding a scope to an
operation is therefore a breaking change (``accord contracts check`` says so).

A request that passes carries its :class:`Principal` as ``request.principal``, and the
implementation reads it with :func:`current_principal` — what it needs for rules about
objects (a customer reads only their own orders), which no scope can express.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import Any, Protocol

from accord.contract import Operation
from accord.errors import STANDARD_ERRORS, Forbidden, ServiceError, Unauthenticated
from accord.runtime.layers import Handler
from accord.runtime.requests import Request
from accord.runtime.responses import Response
from accord.runtime.routing import Handler as RouteHandler
from accord.security.tokens import InvalidToken

__all__ = [
    "MAX_TOKEN_BYTES",
    "Authentication",
    "Principal",
    "TokenVerifier",
    "bearer_token",
    "current_principal",
]

#: A longer ``Authorization`` value is refused before any parsing (a JWT of a few
#: scopes is well under 2 KiB).
MAX_TOKEN_BYTES = 8192

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


class Authentication:
    """The layer that enforces an operation's declared scopes (see the module docstring).

    ``verifier`` checks tokens; ``realm`` names the service in challenges. A verifier
    that fails with anything but its own refusal (its key endpoint unreachable …) is an
    error of the service (500), not of the caller.
    """

    def __init__(self, verifier: TokenVerifier, *, realm: str) -> None:
        if not realm or '"' in realm or "\\" in realm:
            raise ValueError("realm must be a non-empty name without quotes or backslashes")
        self._verifier = verifier
        self.realm = realm
        self._challenge = f'Bearer realm="{realm}"'

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
            token = bearer_token(request.authorization)
            if token is None:
                raise Unauthenticated(
                    "this operation needs a bearer token: send Authorization: Bearer <token>"
                ).with_header("WWW-Authenticate", challenge)
            try:
                principal: Principal = await verify(token)
            except InvalidToken as exc:
                raise _invalid(exc.reason) from None
            if not needed <= principal.scopes:
                missing = " ".join(sorted(needed - principal.scopes))
                raise Forbidden(
                    f"this operation needs the scope(s) {listed}; the token lacks {missing}"
                ).with_header(
                    "WWW-Authenticate", f'Bearer error="insufficient_scope", scope="{listed}"'
                )
            return principal

        return check
