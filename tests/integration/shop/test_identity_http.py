"""Identity over HTTP: the real app in-process on a real database, its tokens checked by
the verifier every service uses, and a key rotation while it serves."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import jwt
import msgspec
import pytest

from accord.observability.telemetry import Telemetry
from accord.runtime import App
from accord.runtime.auth import AuthSettings
from accord.security import InvalidToken, KeySet, Verifier
from accord.security.clientkeys import ASSERTION_TYPE, ClientKeys, sign_assertion
from accord.security.keys import KeyStore
from shop.identity.bootstrap import Settings, create_app
from shop.identity.contract import (
    ClientToken,
    EmailTaken,
    Identity,
    InvalidClient,
    InvalidCredentials,
    InvalidScope,
    JwksRequest,
    Login,
    Register,
)
from tests.support.asgi import lifespan

pytestmark = pytest.mark.anyio
ISSUER = "http://identity.test"


def settings(home: Path, database_url: str, *, dev_login: bool = False) -> Settings:
    return Settings(
        home=str(home),
        database_url=database_url,
        issuer=ISSUER,
        dev_login=dev_login,
        scrypt_log_n=10,
        auth=AuthSettings(enabled=False),
    )


@contextlib.asynccontextmanager
async def serving(chosen: Settings) -> AsyncIterator[App]:
    """The app between its lifespan's start and end (so its engine is disposed after)."""
    app = create_app(chosen, telemetry=Telemetry.noop("identity"))
    async with lifespan(app):
        yield app


@pytest.fixture
async def app(tmp_path: Path, database_url: str) -> AsyncIterator[App]:
    async with serving(settings(tmp_path, database_url)) as app:
        yield app


@pytest.fixture
async def http(app: App) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://identity.test") as client:
        yield client


@pytest.fixture
async def identity(app: App) -> AsyncIterator[Identity]:
    transport = httpx.ASGITransport(app=app)
    async with Identity.client("http://identity.test", transport=transport) as client:
        yield client


def verifier(app: App, audience: str) -> Verifier:
    keys = KeySet.from_url(
        "http://identity.test/.well-known/jwks.json", transport=httpx.ASGITransport(app=app)
    )
    return Verifier(keys, issuer=ISSUER, audience=audience)


#: The token endpoint as every client names it (``ACCORD_ISSUER_URL``'s default).
TOKEN_URL = "http://127.0.0.1:8104/v1/token"


def assertion(home: Path, client_id: str, holder: str | None = None) -> str:
    """A fresh client assertion of ``client_id``, signed with ``holder``'s own key."""
    keys = ClientKeys.under(home)
    keys.ensure([holder or client_id])
    return sign_assertion(keys.private_key(holder or client_id), client_id, TOKEN_URL)


def grant(home: Path, client_id: str, scope: str = "", holder: str | None = None) -> ClientToken:
    return ClientToken(
        grant_type="client_credentials",
        client_id=client_id,
        client_assertion_type=ASSERTION_TYPE,
        client_assertion=assertion(home, client_id, holder),
        scope=scope,
    )


async def test_a_customer_registers_logs_in_and_the_token_verifies(
    app: App, identity: Identity
) -> None:
    customer = await identity.register(Register(email="Ada@Example.com", password="hunter2!x"))
    assert customer.email == "ada@example.com"
    token = await identity.login(Login(email="ada@example.com", password="hunter2!x"))
    assert token.token_type == "Bearer" and token.expires_in == 900
    claims = await verifier(app, "orders").verify(token.access_token)
    assert claims.customer_id == customer.customer_id == claims.subject
    assert claims.scopes == {"orders:read", "orders:write"}
    assert claims.raw["exp"] - claims.raw["iat"] == 900 and claims.raw["nbf"] == claims.raw["iat"]
    assert claims.token_id and len(claims.token_id) >= 16
    # A customer's token is not for inventory or payments at all.
    with pytest.raises(InvalidToken, match="wrong audience"):
        await verifier(app, "inventory").verify(token.access_token)


async def test_bad_logins_and_duplicates_are_declared_errors(identity: Identity) -> None:
    await identity.register(Register(email="ada@example.com", password="hunter2!x"))
    with pytest.raises(EmailTaken):
        await identity.register(Register(email="ADA@example.com", password="other-pass"))
    with pytest.raises(InvalidCredentials):
        await identity.login(Login(email="ada@example.com", password="hunter3!x"))
    with pytest.raises(InvalidCredentials):
        await identity.login(Login(email="bob@example.com", password="hunter2!x"))


async def test_problem_answers_never_say_which_part_was_wrong(http: httpx.AsyncClient) -> None:
    headers = {"idempotency-key": "k-1"}
    body = {"email": "ada@example.com", "password": "hunter2!x"}
    assert (await http.post("/v1/customers", json=body, headers=headers)).status_code == 201
    wrong = await http.post("/v1/login", json={**body, "password": "nope-nope"})
    unknown = await http.post("/v1/login", json={**body, "email": "eve@example.com"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.headers["content-type"] == "application/problem+json"
    for key in ("title", "detail", "code"):
        assert wrong.json()[key] == unknown.json()[key]
    short = await http.post(
        "/v1/customers", json={**body, "password": "short"}, headers={"idempotency-key": "k-2"}
    )
    assert short.status_code == 422 and short.json()["errors"][0]["path"] == "$.password"
    assert "short" not in short.text  # the value of a secret field is never echoed
    extra = await http.post("/v1/login", json={**body, "scope": "orders:admin"})
    assert extra.status_code == 422


async def test_service_clients_get_exactly_their_scopes(
    app: App, identity: Identity, tmp_path: Path
) -> None:
    token = await identity.token(grant(tmp_path, "orders"))
    assert token.scope.split() == sorted(
        ["inventory:reserve", "payments:authorize", "payments:capture", "payments:void"]
    )  # fmt: skip
    claims = await verifier(app, "inventory").verify(token.access_token)
    assert claims.client_id == "orders" and claims.customer_id is None
    assert (await verifier(app, "payments").verify(token.access_token)).subject == "client:orders"
    with pytest.raises(InvalidToken, match="wrong audience"):
        await verifier(app, "orders").verify(token.access_token)
    narrow = await identity.token(grant(tmp_path, "orders", "payments:void"))
    assert narrow.scope == "payments:void"
    with pytest.raises(InvalidScope):
        await identity.token(grant(tmp_path, "orders", "inventory:admin"))
    with pytest.raises(InvalidClient):  # no credential at all
        await identity.token(ClientToken(grant_type="client_credentials", client_id="orders"))
    with pytest.raises(InvalidClient):  # orders' own key does not speak for the operator
        await identity.token(grant(tmp_path, "operator", holder="orders"))
    with pytest.raises(InvalidClient):
        await identity.token(grant(tmp_path, "mallory", holder="orders"))


async def test_no_secret_is_written_and_an_old_clients_file_is_deleted(
    tmp_path: Path, database_url: str
) -> None:
    old = tmp_path / "identity" / "clients.json"
    old.parent.mkdir(parents=True)
    old.write_text('{"clients": {"orders": {"secret": "s"}}}')
    create_app(settings(tmp_path, database_url), telemetry=Telemetry.noop("identity"))
    assert not old.exists()
    kid = KeyStore.under(tmp_path, "identity").load().current.kid
    create_app(settings(tmp_path, database_url), telemetry=Telemetry.noop("identity"))
    assert KeyStore.under(tmp_path, "identity").load().current.kid == kid
    assert not [p for p in (tmp_path / "identity").iterdir() if "client" in p.name]
    assert (tmp_path / "identity" / "signing-keys.json").stat().st_mode & 0o077 == 0


async def test_dev_login_answers_404_unless_configured(tmp_path: Path, database_url: str) -> None:
    for dev, status in ((False, 404), (True, 200)):
        url = database_url if not dev else f"sqlite:///{tmp_path}/d.db"
        async with (
            serving(settings(tmp_path / str(dev), url, dev_login=dev)) as app,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://i") as http,
        ):
            answer = await http.post("/v1/dev-login", json={"email": "dev@example.com"})
        assert answer.status_code == status, answer.text


async def test_jwks_in_both_places_has_current_and_next_and_no_private_parts(
    http: httpx.AsyncClient, tmp_path: Path
) -> None:
    ring = KeyStore.under(tmp_path, "identity").load()
    well_known = await http.get("/.well-known/jwks.json")
    versioned = await http.get("/v1/jwks")
    assert well_known.headers["content-type"] == "application/jwk-set+json"
    assert well_known.json() == versioned.json()
    keys = well_known.json()["keys"]
    assert {k["kid"] for k in keys} == {ring.current.kid, ring.next.kid}
    assert all(k["kty"] == "OKP" and k["alg"] == "EdDSA" and "d" not in k for k in keys)
    assert (await http.post("/.well-known/jwks.json")).status_code in {404, 405}


async def test_rotation_while_serving_drops_no_token(
    app: App, identity: Identity, tmp_path: Path
) -> None:
    """Old tokens keep verifying, new ones are signed with the key that was next, and a
    verifier that cached the document before the rotation already knows that key."""
    await identity.register(Register(email="ada@example.com", password="hunter2!x"))
    login = Login(email="ada@example.com", password="hunter2!x")
    check = verifier(app, "orders")
    before = (await identity.login(login)).access_token
    await check.verify(before)
    assert check.keys.fetches == 1
    store = KeyStore.under(tmp_path, "identity")
    old = store.load()
    new = store.rotate(min_age=0)
    after = (await identity.login(login)).access_token
    assert jwt.get_unverified_header(after)["kid"] == old.next.kid
    assert (await check.verify(after)).subject and (await check.verify(before)).subject
    assert check.keys.fetches == 1  # the next key was already in the cached document
    published = {k.kid for k in (await identity.jwks(JwksRequest())).keys}
    assert published == {old.current.kid, new.current.kid, new.next.kid}


async def test_password_guessing_is_throttled_per_address(
    tmp_path: Path, database_url: str
) -> None:
    limited = msgspec.structs.replace(settings(tmp_path, database_url), login_rate=3)
    body = {"email": "ada@example.com", "password": "not-the-one"}
    async with serving(limited) as app:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://i") as http:
            answers = [await http.post("/v1/login", json=body) for _ in range(4)]
        assert [a.status_code for a in answers] == [401, 401, 401, 429]
        assert answers[-1].json()["code"] == "rate_limited"
        assert int(answers[-1].headers["retry-after"]) >= 1
        other = httpx.ASGITransport(app=app, client=("203.0.113.10", 4000))
        async with httpx.AsyncClient(transport=other, base_url="http://i") as http:
            assert (await http.post("/v1/login", json=body)).status_code == 401


async def test_metadata_needs_an_operator_token_when_not_public(
    tmp_path: Path, database_url: str
) -> None:
    guarded = msgspec.structs.replace(
        settings(tmp_path, database_url),
        auth=AuthSettings(enabled=True, public_metadata=False, issuer=ISSUER),
    )
    async with (
        serving(guarded) as app,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://i") as http,
    ):
        assert (await http.get("/metrics")).status_code == 401
        assert (await http.get("/.well-known/jwks.json")).status_code == 200  # always public
        body = msgspec.to_builtins(grant(tmp_path, "operator", holder="accord-supervisor"))
        token = (await http.post("/v1/token", json=body)).json()["access_token"]
        body = msgspec.to_builtins(grant(tmp_path, "orders"))
        orders = (await http.post("/v1/token", json=body)).json()["access_token"]
        ok = await http.get("/openapi.json", headers={"authorization": f"Bearer {token}"})
        assert ok.status_code == 200 and ok.json()["info"]["title"]
        refused = await http.get("/metrics", headers={"authorization": f"Bearer {orders}"})
        assert refused.status_code == 401  # a token for inventory and payments, not identity


async def test_not_ready_without_its_signing_keys(http: httpx.AsyncClient, tmp_path: Path) -> None:
    assert (await http.get("/readyz")).status_code == 200
    keys = KeyStore.under(tmp_path, "identity").path
    keys.rename(keys.with_suffix(".moved"))
    assert (await http.get("/readyz")).status_code == 503
    keys.with_suffix(".moved").rename(keys)
    assert (await http.get("/readyz")).status_code == 200


async def test_a_retried_registration_replays_its_first_answer(http: httpx.AsyncClient) -> None:
    body = {"email": "ada@example.com", "password": "hunter2!x"}
    headers = {"idempotency-key": "register-ada-1"}
    first = await http.post("/v1/customers", json=body, headers=headers)
    again = await http.post("/v1/customers", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("idempotency-replayed") == "true"
    assert again.json() == first.json()
    other = await http.post(
        "/v1/customers", json={**body, "password": "other-pass"}, headers=headers
    )
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    fresh = await http.post("/v1/customers", json=body, headers={"idempotency-key": "k-9"})
    assert fresh.status_code == 409 and fresh.json()["code"] == "identity.email_taken"
