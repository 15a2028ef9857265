"""The identity contract: customers log in, service clients get tokens, keys are public.

Every token is a JWT access token (RFC 9068): signed with the identity service's current
Ed25519 key, ``typ: at+jwt``, with ``iss``, ``aud`` (the services its scopes name),
``sub``, ``scope``, ``exp`` (15 minutes), ``nbf``, ``iat`` and ``jti``. The public keys are
``GET /v1/jwks`` (and ``/.well-known/jwks.json``). None of these operations needs a token.
Passwords, client assertions and access tokens are marked :data:`~accord.contract.Secret`:
they never appear in logs or traces.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from accord import Contract, Idempotency, ServiceError, operation
from accord.contract import Secret, create, read

__all__ = [
    "ClientToken",
    "Customer",
    "DevLogin",
    "DevLoginDisabled",
    "EmailTaken",
    "Identity",
    "InvalidClient",
    "InvalidCredentials",
    "InvalidScope",
    "Jwk",
    "Jwks",
    "JwksRequest",
    "Login",
    "Register",
    "Token",
]

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
#: What a new address must look like (the domain checks it again, after trimming).
NewEmail = Annotated[
    str,
    msgspec.Meta(
        min_length=6,
        max_length=254,
        pattern=r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$",
    ),
]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=256), Secret]
NewPassword = Annotated[str, msgspec.Meta(min_length=8, max_length=256), Secret]
AssertionType = Literal["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]
ClientId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9-]*$")]


class Register(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A new customer: an email address and a password of 8 to 256 characters."""

    email: NewEmail
    password: NewPassword


class Customer(msgspec.Struct, kw_only=True):
    customer_id: str
    email: str


class Login(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A customer's email address and password."""

    email: Email
    password: Password


class DevLogin(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Development only: a customer's token by address alone (created on first use)."""

    email: NewEmail


class ClientToken(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The client-credentials grant (RFC 6749 §4.4), as JSON: a service's id, and the
    scopes it wants (space-separated; empty for all it may have). No shared secret: over
    mutual TLS the client's certificate authenticates it (RFC 8705 §2,
    ``tls_client_auth``) and the token is bound to that certificate; over plain HTTP a
    ``client_assertion`` does (RFC 7523 ``private_key_jwt``): a short-lived JWT the client
    signed with its own private key, ``iss`` = ``sub`` = ``client_id``, ``aud`` = this
    endpoint's URL, a ``jti`` used once, with ``client_assertion_type``
    ``urn:ietf:params:oauth:client-assertion-type:jwt-bearer``."""

    grant_type: Literal["client_credentials"]
    client_id: ClientId
    client_assertion_type: AssertionType | None = None
    client_assertion: Annotated[str, msgspec.Meta(max_length=8192), Secret] = ""
    scope: Annotated[str, msgspec.Meta(max_length=1024)] = ""


class Token(msgspec.Struct, kw_only=True):
    """An access token (RFC 6749 §5.1): send it as ``Authorization: Bearer <token>``."""

    access_token: Annotated[str, Secret]
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str


class JwksRequest(msgspec.Struct, kw_only=True):
    """No parameters."""


class Jwk(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A public key (RFC 7517): Ed25519 (``OKP``) or P-256 (``EC``)."""

    kty: str
    kid: str
    use: str
    alg: str
    crv: str
    x: str
    y: str | None = None


class Jwks(msgspec.Struct, kw_only=True):
    """The keys that verify identity's tokens: the current, the next and recently retired."""

    keys: list[Jwk]


class EmailTaken(ServiceError[None], code="identity.email_taken", status=409):
    """Email already registered"""


class InvalidCredentials(ServiceError[None], code="identity.invalid_credentials", status=401):
    """Unknown email or wrong password"""


class InvalidClient(ServiceError[None], code="identity.invalid_client", status=401):
    """Client authentication failed (RFC 6749 invalid_client)"""


class InvalidScope(ServiceError[None], code="identity.invalid_scope", status=400):
    """Scope not allowed for this client"""


class DevLoginDisabled(ServiceError[None], code="identity.dev_login_disabled", status=404):
    """Development login is off"""


class Identity(Contract, name="identity", version="1.2.0"):
    """Customers and service clients, the tokens they are given, and the keys that sign them."""

    register = create(Register, Customer, "/customers", timeout=3.0, errors=(EmailTaken,))
    login = operation(
        Login,
        Token,
        method="POST",
        path="/login",
        idempotency=Idempotency.IDEMPOTENT,
        timeout=3.0,
        errors=(InvalidCredentials,),
    )
    dev_login = operation(
        DevLogin,
        Token,
        method="POST",
        path="/dev-login",
        idempotency=Idempotency.IDEMPOTENT,
        timeout=2.0,
        description="Answers 404 unless the service runs with IDENTITY_DEV_LOGIN=1.",
        errors=(DevLoginDisabled,),
    )
    token = operation(
        ClientToken,
        Token,
        method="POST",
        path="/token",
        idempotency=Idempotency.IDEMPOTENT,
        timeout=2.0,
        errors=(InvalidClient, InvalidScope),
    )
    jwks = read(JwksRequest, Jwks, "/jwks", timeout=1.0)
