"""The composition root of identity: settings in, a served application out.

Read top to bottom: settings → schema → engine → key store and clients' public keys → use cases →
the contract's implementation → the app. Nothing happens at import time;
``accord serve shop.identity.bootstrap:create_app`` calls :func:`create_app`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, ClassVar

import msgspec

from accord.config import setting
from accord.config.common import DatabaseServiceSettings, rates_of
from accord.kit import ServiceKit
from accord.observability.telemetry import Telemetry
from accord.runtime import App
from accord.runtime.ratelimit import Rate, RateLimit
from accord.security import KeySet, Verifier
from accord.security.clientkeys import ClientKeys
from accord.security.keys import KeyStore
from accord.security.passwords import PasswordHasher
from shop.identity.adapters import sql
from shop.identity.adapters.assertions import KeyAssertions
from shop.identity.adapters.mtls import presented_certificate
from shop.identity.adapters.passwords import ThreadedPasswords
from shop.identity.adapters.tokens import DEFAULT_LIFETIME, JwtIssuer
from shop.identity.application.services import IdentityService
from shop.identity.contract import Identity
from shop.identity.entrypoint import ERRORS, IdentityEndpoint
from shop.identity.wellknown import IdentityApp

__all__ = ["SERVICE", "Settings", "create_app"]

logger = logging.getLogger("shop.identity")

#: The name identity's configuration files and variables go by.
SERVICE = "identity"


class Settings(DatabaseServiceSettings, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything identity is configured with: ``config/{base,<env>}/identity.toml``,
    then the variables each field names (``docs/configuration.md``)."""

    schema_version: ClassVar[str] = "1.0.0"

    issuer: Annotated[
        str,
        setting(
            "The iss identity writes into tokens (empty: as every verifier reads it, auth's)",
            pinned=True,
        ),
    ] = ""
    token_lifetime: Annotated[
        int,
        setting(
            "Seconds an access token is valid",
            env="IDENTITY_TOKEN_LIFETIME",
            ge=60,
            le=3600,
        ),
    ] = DEFAULT_LIFETIME
    dev_login: Annotated[
        bool,
        setting("Offer the password-less development login", env="IDENTITY_DEV_LOGIN"),
    ] = False
    scrypt_log_n: Annotated[
        int,
        setting("scrypt's cost: 2**N iterations", env="IDENTITY_SCRYPT_LOG_N", ge=10, le=20),
    ] = 15
    login_rate: Annotated[
        int,
        setting(
            "Logins, development logins and registrations a client address may make a minute",
            reloadable=True,
            env="IDENTITY_LOGIN_RATE",
            ge=1,
            le=10_000,
        ),
    ] = 60

    @property
    def token_issuer(self) -> str:
        """The issuer tokens name: ``issuer``, else what every verifier computes."""
        return self.issuer or self.auth.token_issuer


def _rates(settings: Settings) -> dict[str, Rate]:
    """Password guessing is throttled per client address; services' tokens are cached by
    the services, so the client-credentials grant gets a looser limit. ``rate_limits``
    replaces any of them."""
    per_minute = Rate(settings.login_rate, per=60.0)
    return {
        "login": per_minute,
        "dev_login": per_minute,
        "register": per_minute,
        "token": Rate(max(120, settings.login_rate), per=60.0),
        **rates_of(settings),
    }


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


def _forget_client_secrets(home: Path) -> None:
    """Client secrets are gone (decision 0023): a ``clients.json`` left by an older
    version is deleted, with one line saying so."""
    old = home / "identity" / "clients.json"
    if old.exists():
        old.unlink(missing_ok=True)
        logger.warning(
            "deleted %s: client secrets are no longer accepted; clients authenticate with "
            "their certificates (mutual TLS) or their own keys (private_key_jwt)",
            old,
        )


def _assertions(settings: Settings) -> KeyAssertions:
    """Over plain HTTP clients sign assertions with their own keys; identity reads the
    public halves under ``<home>/client-keys`` and takes assertions addressed to its token
    endpoint as every client names it (``ACCORD_ISSUER_URL`` + the operation's path)."""
    audience = settings.auth.identity_url.rstrip("/") + Identity.token.path
    return KeyAssertions(ClientKeys.under(Path(settings.home)), audience=audience)


def create_app(settings: Settings | None = None, *, telemetry: Telemetry | None = None) -> App:
    """Migrate the database, make sure there are signing keys, and assemble identity."""
    kit = ServiceKit.open(
        Settings,
        SERVICE,
        settings,
        contract=Identity,
        migrations=sql.MIGRATIONS,
        telemetry=telemetry,
    )
    settings, home = kit.settings, Path(kit.settings.home)
    keys = KeyStore.under(home, SERVICE)
    keys.ensure(token_lifetime=settings.token_lifetime)
    tls = settings.tls.config(SERVICE)
    _forget_client_secrets(home)
    issuer = JwtIssuer(keys, issuer=settings.token_issuer, lifetime=settings.token_lifetime)
    service = IdentityService(
        sql.unit_of_work(kit.engine),
        ThreadedPasswords(PasswordHasher(log_n=settings.scrypt_log_n)),
        _assertions(settings) if tls is None else None,
        issuer,
        allow_dev_login=settings.dev_login,
    )
    own = Verifier(_own_keys(keys), issuer=settings.token_issuer, audience=Identity.name)
    audit = settings.auth.audit_trail(Identity.name, settings.home)  # <home>/audit/identity.jsonl
    auth = kit.authentication(Identity.name, verifier=own, audit=audit)
    # Password guessing is throttled per client address, before any work is done.
    layers = kit.layers(
        auth,
        throttle=RateLimit(kit.live.derived(_rates)),
        limit=None,
    )
    return kit.app(
        Identity,
        IdentityEndpoint(service, issuer.jwks, audit, certificate=presented_certificate),
        auth=auth,
        layers=layers,
        errors=ERRORS,
        readiness_checks={"signing_keys": _keys_readable(keys)},
        app_type=IdentityApp,
        jwks=issuer.jwks,
    )
