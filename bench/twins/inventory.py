"""The twin's inventory: stock per SKU, reservations held for orders, committed or let go.

The same tables as the shop's inventory (``skus``, ``reservations``,
``reservation_lines``) and the same writes: a reservation checks and moves stock from
available to reserved and inserts the reservation with its lines, in one transaction,
once per ``Idempotency-Key``; a commit moves it from reserved to sold.
"""

import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

from bench.twins.common import (
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
skus = sa.Table(
    "skus",
    meta,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("unit_price_cents", sa.BigInteger, nullable=False),
    sa.Column("available", sa.BigInteger, nullable=False),
    sa.Column("reserved", sa.BigInteger, nullable=False),
    sa.Column("sold", sa.BigInteger, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)
reservations = sa.Table(
    "reservations",
    meta,
    sa.Column("reservation_id", sa.String(64), primary_key=True),
    sa.Column("order_id", sa.String(64), nullable=False, unique=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)
lines = sa.Table(
    "reservation_lines",
    meta,
    sa.Column("reservation_id", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("quantity", sa.BigInteger, nullable=False),
    sa.Column("unit_price_cents", sa.BigInteger, nullable=False),
)
CATALOGUE = [
    ("SKU-APPLE", "Apple", 120, 1000),
    ("SKU-PEAR", "Pear", 95, 1000),
    ("SKU-COFFEE", "Coffee beans 1kg", 1899, 200),
    ("SKU-TEA", "Green tea", 650, 300),
    ("SKU-RARE-VINYL", "Rare vinyl", 4999, 3),
]


class Item(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=10_000)


class ReserveStock(BaseModel):
    order_id: str = Field(min_length=1, max_length=64)
    items: list[Item] = Field(min_length=1, max_length=50)


class Restock(BaseModel):
    quantity: int = Field(gt=0, le=10_000)


def create_app() -> FastAPI:
    """The inventory app on ``TWIN_DATABASE_URL``."""
    engine = make_engine(database_url("inventory.db"))
    app = service_app("twin inventory")
    log = instrument(app, "inventory", engine)
    idempotency = Idempotency(engine)
    reserver = Annotated[dict[str, Any], Depends(require("inventory", "inventory:reserve"))]
    admin = Annotated[dict[str, Any], Depends(require("inventory", "inventory:admin"))]

    async def setup() -> None:
        await create_tables(engine, meta)
        async with engine.begin() as conn:
            if (await conn.execute(sa.select(sa.func.count()).select_from(skus))).scalar():
                return
            await conn.execute(
                skus.insert(),
                [
                    {"code": c, "name": n, "unit_price_cents": p, "available": q}
                    | {"reserved": 0, "sold": 0, "version": 1}
                    for c, n, p, q in CATALOGUE
                ],
            )

    @app.post("/skus/{sku}/restock")
    async def restock(sku: str, body: Restock, _: admin) -> dict[str, Any]:
        async with engine.begin() as conn:
            done = await conn.execute(
                sa.update(skus)
                .where(skus.c.code == sku)
                .values(available=skus.c.available + body.quantity, version=skus.c.version + 1)
            )
        if done.rowcount != 1:
            raise HTTPException(404, "unknown SKU")
        return {"sku": sku}

    @app.post("/reservations", status_code=201)
    async def reserve(request: Request, body: ReserveStock, claims: reserver) -> Any:
        async def work() -> tuple[int, Any]:
            async with engine.begin() as conn:
                answer = await _reserve(conn, body)
            log.info("reserved", extra={"fields": {"order_id": body.order_id}})
            return 201, answer

        return await keyed(idempotency, request, str(claims["sub"]), work)

    @app.post("/reservations/{reservation_id}/commit")
    async def commit(reservation_id: str, _: reserver) -> dict[str, Any]:
        async with engine.begin() as conn:
            row = (
                await conn.execute(
                    sa.select(reservations)
                    .where(reservations.c.reservation_id == reservation_id)
                    .with_for_update()
                )
            ).one_or_none()
            if row is None:
                raise HTTPException(404, "reservation not found")
            if row.status == "committed":
                return {"reservation_id": reservation_id, "status": "committed"}
            if row.status != "held":
                raise HTTPException(409, "reservation closed")
            await _move(conn, reservation_id, sold=True)
            await conn.execute(
                sa.update(reservations)
                .where(reservations.c.reservation_id == reservation_id)
                .values(status="committed", version=row.version + 1)
            )
        return {"reservation_id": reservation_id, "status": "committed"}

    @app.post("/reservations/{reservation_id}/release")
    async def release(reservation_id: str, _: reserver) -> dict[str, Any]:
        async with engine.begin() as conn:
            row = (
                await conn.execute(
                    sa.select(reservations).where(reservations.c.reservation_id == reservation_id)
                )
            ).one_or_none()
            if row is None:
                raise HTTPException(404, "reservation not found")
            if row.status == "held":
                await _move(conn, reservation_id, sold=False)
                await conn.execute(
                    sa.update(reservations)
                    .where(reservations.c.reservation_id == reservation_id)
                    .values(status="released", version=row.version + 1)
                )
        return {"reservation_id": reservation_id, "status": "released"}

    app.state.on_startup.append(setup)
    return app


async def _reserve(conn: Any, body: ReserveStock) -> dict[str, Any]:
    codes = [item.sku for item in body.items]
    found = {
        row.code: row
        for row in (
            await conn.execute(sa.select(skus).where(skus.c.code.in_(codes)).with_for_update())
        ).all()
    }
    reservation_id = "res_" + uuid.uuid4().hex
    total = 0
    out_lines = []
    for position, item in enumerate(body.items):
        row = found.get(item.sku)
        if row is None:
            raise HTTPException(404, f"unknown SKU {item.sku}")
        if row.available < item.quantity:
            raise HTTPException(409, f"out of stock: {item.sku}")
        await conn.execute(
            sa.update(skus)
            .where(skus.c.code == item.sku)
            .values(
                available=row.available - item.quantity,
                reserved=row.reserved + item.quantity,
                version=row.version + 1,
            )
        )
        total += row.unit_price_cents * item.quantity
        out_lines.append(
            {
                "reservation_id": reservation_id,
                "position": position,
                "sku": item.sku,
                "quantity": item.quantity,
                "unit_price_cents": row.unit_price_cents,
            }
        )
    await conn.execute(
        reservations.insert().values(
            reservation_id=reservation_id, order_id=body.order_id, status="held", version=1
        )
    )
    await conn.execute(lines.insert(), out_lines)
    return {
        "reservation_id": reservation_id,
        "order_id": body.order_id,
        "status": "held",
        "lines": [{k: v for k, v in line.items() if k != "reservation_id"} for line in out_lines],
        "total_cents": total,
    }


async def _move(conn: Any, reservation_id: str, *, sold: bool) -> None:
    held = (
        await conn.execute(sa.select(lines).where(lines.c.reservation_id == reservation_id))
    ).all()
    for line in held:
        values: dict[str, Any] = {"reserved": skus.c.reserved - line.quantity}
        if sold:
            values["sold"] = skus.c.sold + line.quantity
        else:
            values["available"] = skus.c.available + line.quantity
        await conn.execute(
            sa.update(skus)
            .where(skus.c.code == line.sku)
            .values(**values, version=skus.c.version + 1)
        )
