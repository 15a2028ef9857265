"""Identity's use cases on in-memory ports: who gets which scopes, and who gets nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from types import TracebackType
from typing import Self

import pytest

from accord.security.passwords import PasswordHasher
from accord.sql import ReadOnlyViolation
from shop.identity.application.ports import AccessToken, ConcurrencyConflict
from shop.identity.application.services import IdentityService
from shop.identity.domain import exceptions as domain
from shop.identity.domain.model import (
    CLIENT_SCOPES,
    CUSTOMER_SCOPES,
    METADATA_SCOPE,
    Customer,
    Grant,
    audience_of,
    client_grant,
    normalize_email,
)
from shop.inventory.contract import Inventory
from shop.orders.contract import Orders
from shop.orders.contract_v2 import OrdersV2
from shop.payments.contract import Payments

HASHER = PasswordHasher(log_n=4)


class FakeCustomers:
    def __init__(self) -> None:
        #: Units of work opened to only read.
        self.read_only_opened = 0
        self.rows: dict[str, Customer] = {}

    async def add(self, customer: Customer) -> None:
        if customer.email in self.rows:
            raise ConcurrencyConflict(customer.email)
        self.rows[customer.email] = customer

    async def get_by_email(self, email: str) -> Customer | None:
        return self.rows.get(email)


class FakeUnitOfWork:
    def __init__(self, customers: FakeCustomers, *, read_only: bool = False) -> None:
        self.read_only = read_only
        if read_only:
            customers.read_only_opened += 1
        self.customers = customers
        self.committed = False

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    async def commit(self) -> None:
        if self.read_only:
            raise ReadOnlyViolation("a unit of work that only reads has nothing to commit")
        self.committed = True


class FakePasswords:
    def __init__(self) -> None:
        self.verifications: list[str | None] = []

    async def hash(self, password: str) -> str:
        return HASHER.hash(password)

    async def verify(self, password: str, stored: str | None) -> bool:
        self.verifications.append(stored)
        return HASHER.verify(password, stored)


class FakeClients:
    """An assertion ``signed-by:<holder>`` is good when ``holder`` may speak for the client."""

    async def check(self, client_id: str, holders: frozenset[str], assertion: str) -> str | None:
        holder = assertion.removeprefix("signed-by:")
        return None if holder in holders else "unknown key"


class FakeIssuer:
    def __init__(self) -> None:
        self.grants: list[Grant] = []

    def issue(self, grant: Grant) -> AccessToken:
        self.grants.append(grant)
        return AccessToken(token=f"token-{len(self.grants)}", expires_in=900, scopes=grant.scopes)


@pytest.fixture
def parts() -> tuple[IdentityService, FakeCustomers, FakePasswords, FakeIssuer]:
    customers, passwords, issuer = FakeCustomers(), FakePasswords(), FakeIssuer()
    ids = iter(f"cus_{n}" for n in range(100))
    service = IdentityService(
        lambda read_only=False: FakeUnitOfWork(customers, read_only=read_only),
        passwords,
        FakeClients(),
        issuer,
        clock=lambda: datetime(2026, 1, 1, tzinfo=UTC),
        new_id=lambda: next(ids),
    )
    return service, customers, passwords, issuer


@pytest.mark.anyio
async def test_register_then_login_gives_a_customer_grant(
    parts: tuple[IdentityService, FakeCustomers, FakePasswords, FakeIssuer],
) -> None:
    service, _, _, issuer = parts
    customer = await service.register("  Ada@Example.COM ", "correct horse")
    assert customer.email == "ada@example.com" and customer.password_hash
    assert customer.password_hash.startswith("scrypt$")
    await service.login("ada@example.com", "correct horse")
    assert issuer.grants == [
        Grant(
            subject="cus_0",
            scopes=frozenset({"orders:read", "orders:write"}),
            audience=("orders",),
            customer_id="cus_0",
        )
    ]


@pytest.mark.anyio
async def test_wrong_password_and_unknown_email_look_the_same(
    parts: tuple[IdentityService, FakeCustomers, FakePasswords, FakeIssuer],
) -> None:
    service, _, passwords, issuer = parts
    await service.register("ada@example.com", "correct horse")
    for email, password in (
        ("ada@example.com", "wrong horse!"),
        ("bob@example.com", "correct horse"),
        ("not an email", "x"),
    ):
        with pytest.raises(domain.InvalidCredentials) as caught:
            await service.login(email, password)
        assert str(caught.value) == "unknown email or wrong password"
    # Every attempt ran the KDF once, the unknown ones against no stored hash.
    assert len(passwords.verifications) == 3 and passwords.verifications[1:] == [None, None]
    assert issuer.grants == []


@pytest.mark.anyio
async def test_register_refuses_bad_input_and_taken_emails(
    parts: tuple[IdentityService, FakeCustomers, FakePasswords, FakeIssuer],
) -> None:
    service, *_ = parts
    with pytest.raises(domain.InvalidEmail):
        await service.register("nobody", "long enough")
    with pytest.raises(domain.WeakPassword):
        await service.register("ada@example.com", "short")
    await service.register("ada@example.com", "long enough")
    with pytest.raises(domain.EmailTaken):
        await service.register("ADA@example.com", "another one")


@pytest.mark.anyio
async def test_dev_login_is_off_unless_configured(
    parts: tuple[IdentityService, FakeCustomers, FakePasswords, FakeIssuer],
) -> None:
    service, customers, _, issuer = parts
    with pytest.raises(domain.DevLoginDisabled):
        await service.dev_login("ada@example.com")
    service.allow_dev_login = True
    await service.dev_login("ada@example.com")
    await service.dev_login("ada@example.com")
    assert len(customers.rows) == 1 and issuer.grants[0] == issuer.grants[1]
    # A development account has no password: a password login never works for it.
    with pytest.raises(domain.InvalidCredentials):
        await service.login("ada@example.com", "")


@pytest.mark.anyio
async def test_service_clients_get_their_row_and_nothing_more(
    parts: tuple[IdentityService, FakeCustomers, FakePasswords, FakeIssuer],
) -> None:
    service, _, _, issuer = parts
    await service.client_token("orders", "signed-by:orders")
    assert issuer.grants[-1].scopes == CLIENT_SCOPES["orders"]
    assert issuer.grants[-1].audience == ("inventory", "payments")
    assert issuer.grants[-1].subject == "client:orders"
    await service.client_token("orders", "signed-by:orders", ["inventory:reserve"])
    assert issuer.grants[-1].scopes == {"inventory:reserve"}
    assert issuer.grants[-1].audience == ("inventory",)
    with pytest.raises(domain.ScopeNotAllowed, match="inventory:admin"):
        await service.client_token("orders", "signed-by:orders", ["inventory:admin"])
    with pytest.raises(domain.InvalidClient, match="unknown key"):
        await service.client_token("orders", "signed-by:payments")
    with pytest.raises(domain.InvalidClient, match="required"):
        await service.client_token("orders", "")
    with pytest.raises(domain.InvalidClient):
        await service.client_token("mallory", "signed-by:mallory")
    # The operator's tools sign with the supervisor's key.
    await service.client_token("operator", "signed-by:accord-supervisor")
    assert issuer.grants[-1].subject == "client:operator"


def test_least_privilege_table() -> None:
    """orders may reserve, commit and release stock (one scope in the inventory contract),
    and authorize, capture and void payments: nothing that reads or restocks, nothing of
    orders itself; every scope in the table is one a contract declares."""
    assert CLIENT_SCOPES["orders"] == {
        "inventory:reserve",
        "payments:authorize",
        "payments:capture",
        "payments:void",
    }
    declared = {
        scope
        for contract in (Inventory, Payments, Orders, OrdersV2)
        for op in contract.operations.values()
        for scope in op.scopes
    }
    for scopes in (*CLIENT_SCOPES.values(), CUSTOMER_SCOPES):
        assert scopes - {METADATA_SCOPE} <= declared
    assert audience_of({"metadata:read"}) == ("identity", "inventory", "orders", "payments")
    assert client_grant("operator").audience == ("identity", "inventory", "orders", "payments")


def test_email_normalization() -> None:
    assert normalize_email(" A@B.CO ") == "a@b.co"
    for bad in ("", "a@b", "a b@c.de", "@c.de", "a@" + "x" * 200 + ".de"):
        with pytest.raises(domain.InvalidEmail):
            normalize_email(bad)


@pytest.mark.anyio
async def test_attempts_on_one_account_are_delayed_and_a_success_resets_them(
    parts: tuple[IdentityService, FakeCustomers, FakePasswords, FakeIssuer],
) -> None:
    service, _, passwords, _ = parts
    await service.register("ada@example.com", "correct horse")
    for _ in range(5):
        with pytest.raises(domain.InvalidCredentials):
            await service.login("Ada@Example.com", "wrong horse!")
    checked = len(passwords.verifications)
    with pytest.raises(domain.LoginThrottled) as info:
        await service.login("ada@example.com", "correct horse")  # even the right password
    assert 0 < info.value.retry_after <= 1.0
    assert len(passwords.verifications) == checked, "no password is checked while it waits"
    await service.register("bob@example.com", "correct horse")
    await service.login("bob@example.com", "correct horse")  # another account is apart
