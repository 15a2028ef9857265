"""Identity's use cases: register, log in (with a password or, in development, without),
and the client-credentials grant of service clients."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import KW_ONLY, dataclass, field, replace

from shop.common.fresh import new_id, utc_now
from shop.identity.application.ports import (
    AccessToken,
    ClientAssertions,
    ClientCertificate,
    Clock,
    ConcurrencyConflict,
    IdFactory,
    PasswordHashing,
    TokenIssuer,
    UnitOfWorkFactory,
)
from shop.identity.domain.exceptions import (
    DevLoginDisabled,
    EmailTaken,
    InvalidClient,
    InvalidCredentials,
    LoginThrottled,
)
from shop.identity.domain.model import (
    CLIENT_CREDENTIALS,
    Customer,
    check_password,
    client_grant,
    customer_grant,
    normalize_email,
)
from shop.identity.domain.throttle import LoginDelays

__all__ = ["IdentityService", "new_customer_id", "utc_now"]


def new_customer_id() -> str:
    """A fresh, unguessable customer id."""
    return new_id("cus_")


@dataclass(eq=False)
class IdentityService:
    """The identity use cases, run on the ports they are given."""

    uow: UnitOfWorkFactory
    passwords: PasswordHashing
    clients: ClientAssertions | None
    tokens: TokenIssuer
    _: KW_ONLY
    allow_dev_login: bool = False
    login_delays: LoginDelays = field(default_factory=LoginDelays)
    clock: Clock = utc_now
    new_id: IdFactory = new_customer_id

    async def register(self, email: str, password: str) -> Customer:
        """A new customer with this address and password."""
        email = normalize_email(email)
        check_password(password)
        customer = Customer(
            customer_id=self.new_id(),
            email=email,
            password_hash=await self.passwords.hash(password),
            created_at=self.clock(),
        )
        try:
            async with self.uow() as uow:
                if await uow.customers.get_by_email(email) is not None:
                    raise EmailTaken(email)
                await uow.customers.add(customer)
                await uow.commit()
        except ConcurrencyConflict:
            raise EmailTaken(email) from None
        return customer

    async def login(self, email: str, password: str) -> AccessToken:
        """A customer's token, for the right address and password.

        Attempts on one account are throttled (:class:`LoginDelays`), whether or not a
        customer has that address, so the answer does not tell which."""
        try:
            email = normalize_email(email)
        except ValueError:
            email = ""
        account = email or "<invalid>"
        wait = self.login_delays.attempt(account)
        if wait > 0:
            raise LoginThrottled(wait)
        async with self.uow(read_only=True) as uow:
            customer = await uow.customers.get_by_email(email) if email else None
        stored = customer.password_hash if customer is not None else None
        # Always hash once, so an unknown address takes as long as a wrong password.
        if not await self.passwords.verify(password, stored) or customer is None:
            raise InvalidCredentials("unknown email or wrong password")
        self.login_delays.succeeded(account)
        return self.tokens.issue(customer_grant(customer))

    async def dev_login(self, email: str) -> AccessToken:
        """A customer's token without a password (development only), creating the
        customer on first use."""
        if not self.allow_dev_login:
            raise DevLoginDisabled("the development login is off")
        email = normalize_email(email)
        async with self.uow() as uow:
            customer = await uow.customers.get_by_email(email)
            if customer is None:
                customer = Customer(self.new_id(), email, None, self.clock())
                try:
                    await uow.customers.add(customer)
                    await uow.commit()
                except ConcurrencyConflict:
                    customer = None
        if customer is None:  # created by a concurrent request: read it
            async with self.uow(read_only=True) as uow:
                customer = await uow.customers.get_by_email(email)
            if customer is None:  # pragma: no cover - the conflict means it exists
                raise InvalidCredentials("try again")
        return self.tokens.issue(customer_grant(customer))

    async def client_token(
        self,
        client_id: str,
        assertion: str,
        scopes: Iterable[str] = (),
        *,
        certificate: ClientCertificate | None = None,
    ) -> AccessToken:
        """A service client's token (the client-credentials grant). No shared secret:

        with ``certificate`` (mutual TLS) the client authenticates by it alone (RFC 8705
        ``tls_client_auth``: the certificate must name one of the client's holders) and
        the token is bound to it; without, by a client assertion signed with a holder's
        own key (RFC 7523 ``private_key_jwt``), when assertions are taken (``clients``).
        """
        holders = CLIENT_CREDENTIALS.get(client_id, frozenset())
        if certificate is not None:
            if certificate.client_id not in holders:
                raise InvalidClient("the certificate does not name this client")
            grant = client_grant(client_id, scopes)
            return self.tokens.issue(replace(grant, certificate=certificate.thumbprint))
        if self.clients is None:
            raise InvalidClient("over mutual TLS a client authenticates with its certificate")
        if not assertion:
            raise InvalidClient("a client assertion (private_key_jwt) is required")
        refused = await self.clients.check(client_id, holders, assertion)
        if refused is not None:
            raise InvalidClient(f"client assertion refused: {refused}")
        return self.tokens.issue(client_grant(client_id, scopes))
