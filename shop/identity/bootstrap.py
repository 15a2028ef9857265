"""The composition root of identity: settings in, a served application out.

Read top to bottom: settings → schema → engine → key store and clients file → use cases →
the contract's implementation → the app. Nothing happens at import time;
``accord serve shop.identity.bootstrap:create_app`` calls :func:`create_app`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

import msgspec

from accord.observability.telemetry import Telemetry
from accord.runtime import App, Layer
from accord.runtime.auth import AuthSettings
from accord.runtime.deadlines import Deadlines
from accord.runtime.idempotency import Idempotency
from accord.runtime.ratelimit import Rate, RateLimit
from accord.runtime.shedding import DEFAULT_MAX_IN_FLIGHT, LoadShedding, max_in_flight_from_env
from accord.security import KeySet, Verifier
from accord.security.keys import KeyStore
from accord.security.passwords import PasswordHasher
from accord.sql import SqlIdempotencyStore, create_engine, migrate, readiness
from shop.identity.adapters import sql
from shop.identity.adapters.clients import ClientFile
from shop.identity.adapters.passwords import ThreadedPasswords
from shop.identity.adapters.tokens import DEFAULT_LIFETIME, JwtIssuer
from shop.identity.application.services import IdentityService
from shop.identity.contract import Identity
from shop.identity.domain.model import CLIENT_SCOPES
from shop.identity.entrypoint import IdentityEndpoint
from shop.identity.wellknown import IdentityApp

__all__ = ["IDEMPOTENCY_TABLE", "Settings", "SettingsError", "create_app"]

#: Where identity keeps the answers to idempotency keys (its own database).
IDEMPOTENCY_TABLE = "identity_idempotency_keys"

_ON = {"1", "on", "true", "yes"}
_OFF = {"", "0", "off", "false", "no"}


class SettingsError(ValueError):
    """An environment variable has a value identity cannot use."""


def _int(environ: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, not {value}")
    return value


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything identity is configured with, read once."""

    home: str = ".accord"
    database_url: str = "sqlite:///.accord/identity.db"
    issuer: str = "http://127.0.0.1:8104"
    token_lifetime: int = DEFAULT_LIFETIME
    dev_login: bool = False
    scrypt_log_n: int = 15
    login_rate: int = 60
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    auth: AuthSettings = msgspec.field(default_factory=AuthSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """``ACCORD_HOME`` (default ``.accord``); ``IDENTITY_DATABASE_URL`` (default
        ``sqlite:///<home>/identity.db``); the issuer tokens name, as every verifier reads
        it (``ACCORD_TOKEN_ISSUER``, else ``ACCORD_URL_IDENTITY``, else
        ``http://127.0.0.1:8104``); ``IDENTITY_TOKEN_LIFETIME`` in seconds (60 to 3600,
        default 900); ``IDENTITY_DEV_LOGIN`` (``1``/``on`` turns the password-less login
        on; off by default); ``IDENTITY_SCRYPT_LOG_N`` (10 to 20, default 15);
        ``IDENTITY_LOGIN_RATE``: logins, development logins and registrations a client
        address may make per minute (1 to 10000, default 60);
        ``IDENTITY_MAX_IN_FLIGHT`` or ``ACCORD_MAX_IN_FLIGHT`` (load shedding, default 512)."""
        home = environ.get("ACCORD_HOME") or ".accord"
        url = environ.get("IDENTITY_DATABASE_URL") or f"sqlite:///{home}/identity.db"
        dev = environ.get("IDENTITY_DEV_LOGIN", "").strip().lower()
        if dev not in _ON | _OFF:
            raise SettingsError(f"IDENTITY_DEV_LOGIN must be 'on' or 'off', not {dev!r}")
        auth = AuthSettings.from_env(environ)
        return cls(
            home=home,
            database_url=url,
            issuer=auth.token_issuer,
            token_lifetime=_int(environ, "IDENTITY_TOKEN_LIFETIME", DEFAULT_LIFETIME, 60, 3600),
            dev_login=dev in _ON,
            scrypt_log_n=_int(environ, "IDENTITY_SCRYPT_LOG_N", 15, 10, 20),
            login_rate=_int(environ, "IDENTITY_LOGIN_RATE", 60, 1, 10_000),
            max_in_flight=_max_in_flight(environ),
            auth=auth,
        )


def _max_in_flight(environ: Mapping[str, str]) -> int:
    try:
        return max_in_flight_from_env(environ, "identity")
    except ValueError as exc:
        raise SettingsError(str(exc)) from None


def _own_keys(store: KeyStore) -> KeySet:
    """Identity's own keys, read from disk (no HTTP), for guarding its metadata."""

    async def fetch() -> bytes:
        return msgspec.json.encode(store.load().jwks(time.time()))

    return KeySet(fetch=fetch, refresh_interval=1.0, max_age=5.0)


def _keys_readable(store: KeyStore) -> Callable[[], Awaitable[None]]:
    """Readiness: the key file can be read (it raises otherwise)."""

    async def check() -> None:
        store.load()

    return check


def create_app(settings: Settings | None = None, *, telemetry: Telemetry | None = None) -> App:
    """Migrate the database, make sure there are signing keys and client secrets, and
    assemble identity."""
    settings = settings if settings is not None else Settings.from_env(os.environ)
    home = Path(settings.home)
    telemetry = telemetry or Telemetry.configure(Identity.name, Identity.version, home=home)
    migrate(settings.database_url, sql.MIGRATIONS, version_table=sql.VERSION_TABLE)
    engine = create_engine(settings.database_url)
    keys = KeyStore.under(home)
    keys.ensure(token_lifetime=settings.token_lifetime)
    issuer = JwtIssuer(keys, issuer=settings.issuer, lifetime=settings.token_lifetime)
    service = IdentityService(
        sql.unit_of_work(engine),
        ThreadedPasswords(PasswordHasher(log_n=settings.scrypt_log_n)),
        ClientFile.under(home, CLIENT_SCOPES),
        issuer,
        dev_login=settings.dev_login,
    )
    own = Verifier(_own_keys(keys), issuer=settings.issuer, audience=Identity.name)
    audit = settings.auth.audit_trail(Identity.name, settings.home)  # <home>/audit/identity.jsonl
    auth = settings.auth.authentication(Identity.name, verifier=own, audit=audit)
    # Password guessing is throttled per client address; services' tokens are cached by
    # the services, so the client-credentials grant gets a looser limit.
    per_minute = Rate(settings.login_rate, per=60.0)
    limit = RateLimit(
        {
            "login": per_minute,
            "dev_login": per_minute,
            "register": per_minute,
            "token": Rate(max(120, settings.login_rate), per=60.0),
        }
    )
    layers: list[Layer] = [
        LoadShedding(settings.max_in_flight, telemetry=telemetry),
        *([auth] if auth is not None else []),
        limit,
        Deadlines(),
        Idempotency(SqlIdempotencyStore(engine, IDEMPOTENCY_TABLE), telemetry=telemetry),
    ]
    return IdentityApp(
        Identity,
        IdentityEndpoint(service, issuer.jwks, audit),
        jwks=issuer.jwks,
        telemetry=telemetry,
        readiness={"database": readiness(engine), "signing_keys": _keys_readable(keys)},
        on_shutdown=[engine.dispose],
        layers=layers,
        metadata_guard=settings.auth.metadata_guard(auth),
    )
