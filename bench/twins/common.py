"""What every twin service shares, written as a team on FastAPI usually writes it.

- settings from the environment (``TWIN_HOME``, ``TWIN_DATABASE_URL``);
- SQLAlchemy 2 async engines (aiosqlite or async psycopg 3), with the SQLite settings
  accord uses too (WAL, a busy timeout, ``BEGIN IMMEDIATE``, one connection per process),
  so both sides get the same database behaviour;
- OpenTelemetry: a ``TracerProvider`` sampling every request (as ``accord up`` does),
  spans exported in batches as JSON lines to a file, and the official instrumentations
  for FastAPI, httpx and SQLAlchemy;
- prometheus-client: a request counter and a duration histogram, served on ``/metrics``;
- a JSON log line per request (stdlib ``logging`` with a JSON formatter) to a file;
- bearer tokens checked with PyJWT (EdDSA, audience, issuer, expiry, scopes);
- idempotency keys stored in the same table shape as accord's store, claimed before the
  work and completed with the answer.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import jwt
import sqlalchemy as sa
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

ISSUER = "twin-identity"
ALGORITHM = "EdDSA"

HOME = Path(os.environ.get("TWIN_HOME", ".twin"))
REQUESTS = Counter("http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("http_request_duration_seconds", "HTTP request duration", ["method", "route"])


# -- database ------------------------------------------------------------------------------


def make_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE."""
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url.replace("sqlite://", "sqlite+aiosqlite://", 1), pool_size=1, max_overflow=0
        )

        @sa.event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            for pragma in ("journal_mode=WAL", "busy_timeout=5000", "synchronous=NORMAL"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine.sync_engine, "begin")
        def _begin(connection: sa.Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_async_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def database_url(default_name: str) -> str:
    """``TWIN_DATABASE_URL``, else a SQLite file under the home folder."""
    return os.environ.get("TWIN_DATABASE_URL") or f"sqlite:///{HOME / default_name}"


# -- idempotency keys, in accord's table shape ---------------------------------------------

metadata = sa.MetaData()
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("scope", sa.String(255), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("token", sa.String(32), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("lease_until", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("status", sa.Integer),
    sa.Column("content_type", sa.String(255)),
    sa.Column("headers", sa.LargeBinary),
    sa.Column("body", sa.LargeBinary),
)
RETENTION = 24 * 3600.0


class Idempotency:
    """Claim a key before the work, store the answer with it after."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    async def claim(self, scope: str, key: str, body: bytes) -> str | Response:
        """A token when this request may run; the stored answer when it already ran."""
        fingerprint = hashlib.sha256(body).hexdigest()
        token = secrets.token_hex(16)
        now = time.time()
        t = idempotency_keys
        async with self.engine.begin() as conn:
            inserted = await conn.execute(
                self.insert(t)
                .values(
                    scope=scope,
                    key=key,
                    fingerprint=fingerprint,
                    token=token,
                    created_at=now,
                    lease_until=now + 30,
                    expires_at=now + RETENTION,
                )
                .on_conflict_do_nothing(index_elements=[t.c.scope, t.c.key])
                .returning(t.c.token)
            )
            if inserted.first() is not None:
                return token
            row = (
                await conn.execute(sa.select(t).where((t.c.scope == scope) & (t.c.key == key)))
            ).one()
        if row.fingerprint != fingerprint:
            raise HTTPException(422, "idempotency key reused for another request")
        if row.status is None:
            raise HTTPException(409, "a request with this key is in flight")
        return Response(row.body, status_code=row.status, media_type=row.content_type)

    async def complete(self, scope: str, key: str, token: str, status: int, body: bytes) -> None:
        """Store the answer with the key."""
        t = idempotency_keys
        async with self.engine.begin() as conn:
            await conn.execute(
                sa.update(t)
                .where((t.c.scope == scope) & (t.c.key == key) & (t.c.token == token))
                .values(status=status, content_type="application/json", headers=b"[]", body=body)
            )

    async def release(self, scope: str, key: str, token: str) -> None:
        """Let the key go when the work failed, so a retry may run it."""
        t = idempotency_keys
        async with self.engine.begin() as conn:
            await conn.execute(
                sa.delete(t).where((t.c.scope == scope) & (t.c.key == key) & (t.c.token == token))
            )


async def keyed(
    idempotency: Idempotency,
    request: Request,
    scope: str,
    work: Callable[[], Awaitable[tuple[int, Any]]],
) -> Response:
    """Run ``work`` once per ``Idempotency-Key``; replay its stored answer after."""
    key = request.headers.get("idempotency-key")
    if not key:
        raise HTTPException(400, "Idempotency-Key is required")
    claimed = await idempotency.claim(scope, key, await request.body())
    if isinstance(claimed, Response):
        return claimed
    try:
        status, answer = await work()
    except HTTPException as exc:
        body = json.dumps({"detail": exc.detail}).encode()
        await idempotency.complete(scope, key, claimed, exc.status_code, body)
        raise
    except BaseException:
        await idempotency.release(scope, key, claimed)
        raise
    body = json.dumps(answer).encode()
    await idempotency.complete(scope, key, claimed, status, body)
    return Response(body, status_code=status, media_type="application/json")


# -- tokens --------------------------------------------------------------------------------

bearer_scheme = HTTPBearer()


def public_key() -> bytes:
    """The issuer's public key (PEM), written by the twin identity at start."""
    return (HOME / "identity-public.pem").read_bytes()


def require(audience: str, scope: str) -> Callable[..., Awaitable[dict[str, Any]]]:
    """A dependency: a valid token for ``audience`` carrying ``scope``; its claims."""
    key = public_key()

    async def check(
        credentials: HTTPAuthorizationCredentials = Depends(bearer_scheme),
    ) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                credentials.credentials,
                key,
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=ISSUER,
                options={"require": ["exp", "sub", "aud", "iss"]},
            )
        except jwt.PyJWTError:
            raise HTTPException(401, "invalid token") from None
        if scope not in str(claims.get("scope", "")).split():
            raise HTTPException(403, "insufficient scope")
        return claims

    return check


# -- telemetry -----------------------------------------------------------------------------


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": self.formatTime(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        return json.dumps(line)


def _file_exporter(path: Path) -> ConsoleSpanExporter:
    stream = path.open("a", encoding="utf-8")
    return ConsoleSpanExporter(out=stream, formatter=lambda span: span.to_json(indent=None) + "\n")


def instrument(app: FastAPI, service: str, engine: AsyncEngine) -> logging.Logger:
    """Traces, metrics and JSON request logs for ``app``; its logger."""
    (HOME / "telemetry").mkdir(parents=True, exist_ok=True)
    provider = TracerProvider(
        resource=Resource.create({"service.name": service}), sampler=ParentBased(ALWAYS_ON)
    )
    provider.add_span_processor(
        BatchSpanProcessor(_file_exporter(HOME / "telemetry" / f"{service}.jsonl"))
    )
    trace.set_tracer_provider(provider)
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider)
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    # The instrumentation declares SQLAlchemy < 2.1; its engine events work on 2.1.
    SQLAlchemyInstrumentor().instrument(
        engine=engine.sync_engine, tracer_provider=provider, skip_dep_check=True
    )

    log = logging.getLogger(service)
    handler = logging.FileHandler(HOME / f"{service}.log")
    handler.setFormatter(_JsonFormatter())
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False

    @app.middleware("http")
    async def observe(request: Request, call_next: Any) -> Any:
        started = time.perf_counter()
        response = await call_next(request)
        seconds = time.perf_counter() - started
        route = getattr(request.scope.get("route"), "path", "unmatched")
        REQUESTS.labels(request.method, route, response.status_code).inc()
        LATENCY.labels(request.method, route).observe(seconds)
        context = trace.get_current_span().get_span_context()
        log.info(
            "request",
            extra={
                "fields": {
                    "method": request.method,
                    "path": request.url.path,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1e3, 3),
                    "trace_id": format(context.trace_id, "032x"),
                }
            },
        )
        return response

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        async with engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
        return {"status": "ready"}

    app.state.on_shutdown.extend([engine.dispose, provider.shutdown])
    return log


def service_app(title: str) -> FastAPI:
    """A FastAPI app whose lifespan runs ``app.state.on_startup`` then, at the end,
    ``app.state.on_shutdown`` (lists of functions, sync or async, added to later)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for step in app.state.on_startup:
            await _maybe_await(step())
        yield
        for step in app.state.on_shutdown:
            await _maybe_await(step())

    app = FastAPI(title=title, lifespan=lifespan)
    app.state.on_startup = []
    app.state.on_shutdown = []
    return app


async def _maybe_await(result: Any) -> None:
    if inspect.isawaitable(result):
        await result


async def create_tables(engine: AsyncEngine, *tables_of: sa.MetaData) -> None:
    """Create the service's tables (and the keys table) when missing."""
    async with engine.begin() as conn:
        for meta in (metadata, *tables_of):
            await conn.run_sync(meta.create_all)
