"""The tokens the shop's chaos run needs when the shop checks them: customers' and the operator's.

Customers place orders: each is registered with the identity service and logged in
(``POST /v1/customers``, ``POST /v1/login``). The operator reads stock, reservations,
payments and any order for the audit: a client-credentials token for the ``operator``
client, asked for with a client assertion (RFC 7523 ``private_key_jwt``) signed with the
supervisor's own key, ``<home>/client-keys/accord-supervisor.key`` (the chaos run makes
it; identity knows only its public half). No shared secret. Without an identity service
there are no tokens and no headers.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from accord.security.clientkeys import ClientKeys
from accord.security.tls import SUPERVISOR
from accord.security.tokens import ClientCredentials

__all__ = ["OPERATOR_SCOPES", "Credentials", "obtain"]

#: What the audit reads, and nothing more.
OPERATOR_SCOPES = ("inventory:read", "payments:read", "orders:read", "metadata:read")


@dataclass
class Credentials:
    """Bearer headers: one per customer, and the operator's."""

    customers: list[dict[str, str]] = field(default_factory=lambda: [{}])
    operator: dict[str, str] = field(default_factory=dict)


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def obtain(
    http: httpx.AsyncClient, identity: str | None, home: Path, *, customers: int
) -> Credentials:
    """Register ``customers`` customers and log them in, and get the operator's token."""
    if identity is None:
        return Credentials()
    found = Credentials(customers=[])
    for n in range(customers):
        email = f"chaos-{n}-{secrets.token_hex(4)}@chaos.shop"
        password = secrets.token_urlsafe(16)
        r = await http.post(
            f"{identity}/v1/customers",
            json={"email": email, "password": password},
            headers={"idempotency-key": uuid.uuid4().hex},
        )
        r.raise_for_status()
        r = await http.post(f"{identity}/v1/login", json={"email": email, "password": password})
        r.raise_for_status()
        found.customers.append(_bearer(r.json()["access_token"]))
    key_file = ClientKeys.under(home).key_path(SUPERVISOR)
    operator = ClientCredentials.with_private_key(
        f"{identity}/v1/token", "operator", key_file, scopes=OPERATOR_SCOPES, timeout=10.0
    )
    found.operator = _bearer(await operator.token())
    return found
