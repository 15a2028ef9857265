"""The identity contract, implemented on the use cases.

Each method turns a contract request into a use-case call and the domain's answer into the
contract's response; domain exceptions become the contract's declared errors in one table,
:data:`ERRORS`, which the app answers every operation through (``errors=``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from accord.audit import AuditSink, NullAudit
from accord.errors import (
    FieldError,
    ServiceError,
    TooManyRequests,
    ValidationDetails,
    ValidationFailed,
)
from shop.identity.application.ports import AccessToken, ClientCertificate
from shop.identity.application.services import IdentityService
from shop.identity.contract import (
    ClientToken,
    Customer,
    DevLogin,
    DevLoginDisabled,
    EmailTaken,
    InvalidClient,
    InvalidCredentials,
    InvalidScope,
    Jwk,
    Jwks,
    JwksRequest,
    Login,
    Register,
    Token,
)
from shop.identity.domain import exceptions as domain

__all__ = ["ERRORS", "IdentityEndpoint"]

Keys = Callable[[], Mapping[str, list[dict[str, str]]]]


def _invalid(path: str) -> Callable[[Exception], ServiceError[Any]]:
    def error(e: Exception) -> ServiceError[Any]:
        return ValidationFailed(str(e), ValidationDetails([FieldError(path, str(e))]))

    return error


def _throttled(e: domain.LoginThrottled) -> ServiceError[Any]:
    seconds = max(1, math.ceil(e.retry_after))
    answer = TooManyRequests(f"too many login attempts for this account; retry in {seconds}s")
    return answer.with_header("Retry-After", str(seconds))


#: Domain exception → the contract error answered for it.
ERRORS: Mapping[type[Exception], Callable[[Any], ServiceError[Any]]] = {
    domain.InvalidEmail: _invalid("$.email"),
    domain.WeakPassword: _invalid("$.password"),
    domain.EmailTaken: lambda e: EmailTaken(str(e)),
    domain.InvalidCredentials: lambda e: InvalidCredentials("unknown email or wrong password"),
    domain.InvalidClient: lambda e: InvalidClient(str(e)),
    domain.ScopeNotAllowed: lambda e: InvalidScope(str(e)),
    domain.DevLoginDisabled: lambda e: DevLoginDisabled("the development login is off"),
    domain.LoginThrottled: _throttled,
}


#: Domain exception → the word an audit record gives for a refused login or grant.
_REFUSALS: Mapping[type[Exception], str] = {
    domain.InvalidCredentials: "invalid_credentials",
    domain.InvalidClient: "invalid_client",
    domain.ScopeNotAllowed: "invalid_scope",
    domain.DevLoginDisabled: "dev_login_disabled",
    domain.LoginThrottled: "throttled",
}


@contextmanager
def _audited(audit: AuditSink, action: str, actor: str, **details: str) -> Iterator[None]:
    """Record ``action`` by ``actor`` as a success, or as refused with the domain's reason.

    Only names and reasons are recorded: never a password, a secret or a token.
    """
    try:
        yield
    except tuple(_REFUSALS) as exc:
        reason = next(_REFUSALS[k] for k in type(exc).__mro__ if k in _REFUSALS)
        audit.record(
            action,
            actor=actor,
            target="identity",
            outcome="refused",
            details={**details, "reason": reason},
        )
        raise
    audit.record(action, actor=actor, target="identity", outcome="success", details=details)


def _token(access: AccessToken) -> Token:
    return Token(
        access_token=access.token,
        token_type="Bearer",  # noqa: S106 - the scheme, not a secret
        expires_in=access.expires_in,
        scope=" ".join(sorted(access.scopes)),
    )


class IdentityEndpoint:
    """Implements :class:`~shop.identity.contract.Identity` with :class:`IdentityService`.

    ``audit`` receives every login, development login and client-credentials grant,
    granted or refused (the audit trail; docs/audit.md).
    """

    def __init__(
        self,
        service: IdentityService,
        keys: Keys,
        audit: AuditSink | None = None,
        *,
        certificate: Callable[[], ClientCertificate | None] = lambda: None,
    ) -> None:
        self._service = service
        self._keys = keys
        self._audit: AuditSink = audit if audit is not None else NullAudit()
        self._certificate = certificate

    async def register(self, request: Register) -> Customer:
        """A new customer (a development convenience: no address is confirmed)."""
        customer = await self._service.register(request.email, request.password)
        return Customer(customer_id=customer.customer_id, email=customer.email)

    async def login(self, request: Login) -> Token:
        """A customer's token for the right email and password."""
        with _audited(self._audit, "identity.login", request.email):
            return _token(await self._service.login(request.email, request.password))

    async def dev_login(self, request: DevLogin) -> Token:
        """A customer's token by email alone, when the development login is on."""
        with _audited(self._audit, "identity.dev_login", request.email):
            return _token(await self._service.dev_login(request.email))

    async def token(self, request: ClientToken) -> Token:
        """A service client's token: authenticated by its certificate over mutual TLS
        (and bound to it), else by a client assertion signed with its own key."""
        certificate = self._certificate()
        method = "tls_client_auth" if certificate is not None else "private_key_jwt"
        with (
            _audited(
                self._audit,
                "identity.client_token",
                f"client:{request.client_id}",
                scope=request.scope,
                method=method,
            ),
        ):
            access = await self._service.client_token(
                request.client_id,
                request.client_assertion,
                request.scope.split(),
                certificate=certificate,
            )
        return _token(access)

    async def jwks(self, request: JwksRequest) -> Jwks:
        """The public keys: current, next and retired ones whose tokens may still live."""
        return Jwks(keys=[Jwk(**jwk) for jwk in self._keys()["keys"]])
