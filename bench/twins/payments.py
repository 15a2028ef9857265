"""The twin's payments: card authorizations, captured or voided.

The same table as the shop's payments (``authorizations``) and the same writes: an
authorization asks the (simulated, in-process) processor and inserts the authorization,
once per ``Idempotency-Key``; a capture asks the processor and marks it captured.
"""

import secrets
import uuid
from datetime import UTC, datetime
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
authorizations = sa.Table(
    "authorizations",
    meta,
    sa.Column("authorization_id", sa.String(64), primary_key=True),
    sa.Column("order_id", sa.String(64), nullable=False, unique=True),
    sa.Column("amount_cents", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("processor_reference", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)
DECLINED = {"tok_declined", "tok_insufficient_funds", "tok_expired", "tok_fraud"}


class Authorize(BaseModel):
    order_id: str = Field(min_length=1, max_length=64)
    amount_cents: int = Field(gt=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    card_token: str = Field(min_length=4, max_length=64)


def create_app() -> FastAPI:
    """The payments app on ``TWIN_DATABASE_URL``."""
    engine = make_engine(database_url("payments.db"))
    app = service_app("twin payments")
    log = instrument(app, "payments", engine)
    idempotency = Idempotency(engine)
    authorizer = Annotated[dict[str, Any], Depends(require("payments", "payments:authorize"))]
    capturer = Annotated[dict[str, Any], Depends(require("payments", "payments:capture"))]
    voider = Annotated[dict[str, Any], Depends(require("payments", "payments:void"))]

    async def setup() -> None:
        await create_tables(engine, meta)

    @app.post("/authorizations", status_code=201)
    async def authorize(request: Request, body: Authorize, claims: authorizer) -> Any:
        async def work() -> tuple[int, Any]:
            if body.card_token in DECLINED:
                raise HTTPException(402, "payment declined")
            row = {
                "authorization_id": "auth_" + uuid.uuid4().hex,
                "order_id": body.order_id,
                "amount_cents": body.amount_cents,
                "currency": body.currency,
                "processor_reference": "ref_" + secrets.token_hex(8),
                "status": "authorized",
                "created_at": datetime.now(UTC),
                "version": 1,
            }
            async with engine.begin() as conn:
                await conn.execute(authorizations.insert().values(**row))
            log.info("authorized", extra={"fields": {"order_id": body.order_id}})
            return 201, {k: v for k, v in row.items() if k not in ("created_at", "version")}

        return await keyed(idempotency, request, str(claims["sub"]), work)

    async def transition(authorization_id: str, to: str) -> dict[str, Any]:
        async with engine.begin() as conn:
            row = (
                await conn.execute(
                    sa.select(authorizations)
                    .where(authorizations.c.authorization_id == authorization_id)
                    .with_for_update()
                )
            ).one_or_none()
            if row is None:
                raise HTTPException(404, "authorization not found")
            if row.status == to:
                return {"authorization_id": authorization_id, "status": to}
            if row.status != "authorized":
                raise HTTPException(409, "authorization closed")
            await conn.execute(
                sa.update(authorizations)
                .where(authorizations.c.authorization_id == authorization_id)
                .values(status=to, version=row.version + 1)
            )
        return {"authorization_id": authorization_id, "status": to}

    @app.post("/authorizations/{authorization_id}/capture")
    async def capture(authorization_id: str, _: capturer) -> dict[str, Any]:
        return await transition(authorization_id, "captured")

    @app.post("/authorizations/{authorization_id}/void")
    async def void(authorization_id: str, _: voider) -> dict[str, Any]:
        return await transition(authorization_id, "voided")

    app.state.on_startup.append(setup)
    return app
