"""The twin's orders: ``POST /v2/orders`` runs the shop's saga over httpx.

The same tables as the shop's orders (``orders_orders``, ``orders_order_lines``) and the
same steps: the order is stored pending, stock is reserved and the total authorized
(each with an idempotency key derived from the order id), the reservation committed
and the payment captured, and the order stored confirmed; a refusal lets go of what
was held and stores the order rejected. The customer's ``Idempotency-Key`` is claimed
before any of it and stored with the answer.
"""

import json
import os
import time
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
import sqlalchemy as sa
from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

from bench.twins.common import (
    HOME,
    Idempotency,
    create_tables,
    database_url,
    instrument,
    keyed,
    make_engine,
    require,
    service_app,
)

meta = sa.MetaData()
orders = sa.Table(
    "orders_orders",
    meta,
    sa.Column("order_id", sa.String(64), primary_key=True),
    sa.Column("customer_id", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("total_cents", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("note", sa.String(500)),
    sa.Column("reservation_id", sa.String(64)),
    sa.Column("authorization_id", sa.String(64)),
    sa.Column("rejection", sa.String(64)),
    sa.Column("compensation_due", sa.Boolean, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)
order_lines = sa.Table(
    "orders_order_lines",
    meta,
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders_orders.order_id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price_cents", sa.BigInteger),
)
CURRENCY = "EUR"


class OrderItem(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=10_000)


class PlaceOrder(BaseModel):
    customer_id: str | None = None
    items: list[OrderItem] = Field(min_length=1, max_length=50)
    card_token: str = Field(min_length=4, max_length=64)
    note: str | None = Field(default=None, max_length=500)


class ServiceToken:
    """Orders' own token from the identity service, fetched again before it expires."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.token = ""
        self.until = 0.0

    async def header(self) -> dict[str, str]:
        if time.monotonic() > self.until:
            secret = json.loads((HOME / "clients.json").read_text())["orders"]
            answer = await self.client.post(
                "/token",
                json={
                    "grant_type": "client_credentials",
                    "client_id": "orders",
                    "client_secret": secret,
                },
            )
            answer.raise_for_status()
            self.token = answer.json()["access_token"]
            self.until = time.monotonic() + 600
        return {"authorization": f"Bearer {self.token}"}


def create_app() -> FastAPI:
    """The orders app on ``TWIN_DATABASE_URL``, calling ``TWIN_URL_<SERVICE>``."""
    engine = make_engine(database_url("orders.db"))
    app = service_app("twin orders")
    log = instrument(app, "orders", engine)
    idempotency = Idempotency(engine)
    customer = Annotated[dict[str, Any], Depends(require("orders", "orders:write"))]
    timeout = httpx.Timeout(2.0)
    inventory = httpx.AsyncClient(base_url=os.environ["TWIN_URL_INVENTORY"], timeout=timeout)
    payments = httpx.AsyncClient(base_url=os.environ["TWIN_URL_PAYMENTS"], timeout=timeout)
    identity = httpx.AsyncClient(base_url=os.environ["TWIN_URL_IDENTITY"], timeout=timeout)
    token = ServiceToken(identity)

    async def setup() -> None:
        await create_tables(engine, meta)

    async def close() -> None:
        for client in (inventory, payments, identity):
            await client.aclose()

    async def call(client: httpx.AsyncClient, path: str, body: Any, key: str | None) -> Any:
        headers = await token.header()
        if key is not None:
            headers["idempotency-key"] = key
        answer = await client.post(path, json=body, headers=headers)
        if answer.status_code in (402, 404, 409):
            raise HTTPException(answer.status_code, answer.json().get("detail"))
        answer.raise_for_status()
        return answer.json()

    async def place(body: PlaceOrder, customer_id: str) -> tuple[int, Any]:
        order_id = "ord_" + uuid.uuid4().hex
        created = datetime.now(UTC)
        async with engine.begin() as conn:
            await conn.execute(
                orders.insert().values(
                    order_id=order_id,
                    customer_id=customer_id,
                    status="pending",
                    currency=CURRENCY,
                    total_cents=0,
                    created_at=created,
                    note=body.note,
                    compensation_due=False,
                    version=1,
                )
            )
            await conn.execute(
                order_lines.insert(),
                [
                    {"order_id": order_id, "position": n, "sku": i.sku, "quantity": i.quantity}
                    for n, i in enumerate(body.items)
                ],
            )
        held: dict[str, str] = {}
        try:
            hold = await call(
                inventory,
                "/reservations",
                {"order_id": order_id, "items": [i.model_dump() for i in body.items]},
                f"{order_id}:reserve",
            )
            held["reservation"] = hold["reservation_id"]
            total = int(hold["total_cents"])
            payment = await call(
                payments,
                "/authorizations",
                {
                    "order_id": order_id,
                    "amount_cents": total,
                    "currency": CURRENCY,
                    "card_token": body.card_token,
                },
                f"{order_id}:authorize",
            )
            held["authorization"] = payment["authorization_id"]
            await call(inventory, f"/reservations/{hold['reservation_id']}/commit", None, None)
            held["committed"] = "yes"
            await call(
                payments, f"/authorizations/{payment['authorization_id']}/capture", None, None
            )
        except BaseException as exc:
            await abandon(order_id, held, exc)
            raise
        prices = {line["sku"]: line["unit_price_cents"] for line in hold["lines"]}
        async with engine.begin() as conn:
            await conn.execute(
                sa.update(orders)
                .where(orders.c.order_id == order_id)
                .values(
                    status="confirmed",
                    total_cents=total,
                    reservation_id=held["reservation"],
                    authorization_id=held["authorization"],
                    version=orders.c.version + 1,
                )
            )
            for n, item in enumerate(body.items):
                await conn.execute(
                    sa.update(order_lines)
                    .where((order_lines.c.order_id == order_id) & (order_lines.c.position == n))
                    .values(unit_price_cents=prices[item.sku])
                )
        log.info("order_confirmed", extra={"fields": {"order_id": order_id}})

        def money(cents: int) -> dict[str, Any]:
            return {"amount_minor": cents, "currency": CURRENCY}

        return 201, {
            "order_id": order_id,
            "customer_id": customer_id,
            "status": "confirmed",
            "lines": [
                {"sku": i.sku, "quantity": i.quantity, "unit_price": money(prices[i.sku])}
                for i in body.items
            ],
            "total": money(total),
            "created_at": created.isoformat(),
            "note": body.note,
        }

    async def abandon(order_id: str, held: dict[str, str], exc: BaseException) -> None:
        """Let go of every hold (best effort) and store the order rejected."""
        owed = False
        steps = []
        if "authorization" in held:
            steps.append((payments, f"/authorizations/{held['authorization']}/void"))
        if "reservation" in held and "committed" not in held:
            steps.append((inventory, f"/reservations/{held['reservation']}/release"))
        for client, path in steps:
            try:
                await call(client, path, None, None)
            except Exception:
                log.exception("compensation failed", extra={"fields": {"order_id": order_id}})
                owed = True
        reason = str(getattr(exc, "detail", "internal"))[:64]
        async with engine.begin() as conn:
            await conn.execute(
                sa.update(orders)
                .where(orders.c.order_id == order_id)
                .values(status="rejected", rejection=reason, compensation_due=owed)
            )

    @app.post("/v2/orders", status_code=201)
    async def place_order(request: Request, body: PlaceOrder, claims: customer) -> Any:
        who = str(claims["sub"])
        if body.customer_id not in (None, who):
            raise HTTPException(403, "not your customer id")
        return await keyed(idempotency, request, who, lambda: place(body, who))

    app.state.on_startup.append(setup)
    app.state.on_shutdown.insert(0, close)
    return app
