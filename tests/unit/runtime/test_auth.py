"""The authentication layer: scopes from the contract, RFC 6750 challenges, the principal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import msgspec
import pytest

from accord import Contract, Idempotency, operation
from accord.audit import NullAudit
from accord.errors import Unauthenticated
from accord.observability import Telemetry
from accord.runtime import App, Authentication, current_principal
from accord.runtime.auth import MAX_TOKEN_BYTES, AuthSettings, AuthSettingsError, bearer_token
from accord.security.tokens import InvalidToken

pytestmark = pytest.mark.anyio


class Ask(msgspec.Struct):
    what: str = "x"


class Answer(msgspec.Struct):
    subject: str | None
    customer_id: str | None


class Guarded(Contract, name="guarded", version="1.0.0"):
    read = operation(
        Ask, Answer, method="GET", path="/things", idempotency=Idempotency.READ_ONLY,
        scopes=("things:read",),
    )  # fmt: skip
    both = operation(Ask, Answer, method="POST", path="/both", scopes=("a:x", "b:y"))
    open = operation(Ask, Answer, method="GET", path="/open", idempotency=Idempotency.READ_ONLY)


@dataclass(frozen=True)
class Claims:
    subject: str
    scopes: frozenset[str]
    customer_id: str | None = None


@dataclass
class FakeVerifier:
    tokens: dict[str, Claims] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)

    async def verify(self, token: str) -> Claims:
        self.seen.append(token)
        if token == "boom":
            raise RuntimeError("the key endpoint is down")
        if token == "quoted":
            raise InvalidToken('bad "kid"\\ here\n')
        try:
            return self.tokens[token]
        except KeyError:
            raise InvalidToken("signature does not match") from None


class Service:
    async def _answer(self) -> Answer:
        who = current_principal()
        if who is None:
            return Answer(subject=None, customer_id=None)
        return Answer(subject=who.subject, customer_id=who.customer_id)

    async def read(self, request: Ask) -> Answer:
        return await self._answer()

    async def both(self, request: Ask) -> Answer:
        return await self._answer()

    async def open(self, request: Ask) -> Answer:
        return await self._answer()


@pytest.fixture
def verifier() -> FakeVerifier:
    return FakeVerifier(
        {
            "reader": Claims("c-7", frozenset({"things:read"}), customer_id="c-7"),
            "onlya": Claims("svc", frozenset({"a:x", "things:read"})),
            "ab": Claims("svc", frozenset({"a:x", "b:y", "c:z"})),
        }
    )


@pytest.fixture
async def client(verifier: FakeVerifier) -> AsyncIterator[httpx.AsyncClient]:
    app = App(
        Guarded,
        Service(),
        telemetry=Telemetry.noop("guarded"),
        layers=[Authentication(verifier, realm="guarded")],
        freeze_gc=False,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://guarded.test"
    ) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_no_token_is_401_with_a_realm_challenge(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/things")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "unauthenticated"
    assert r.headers["www-authenticate"] == 'Bearer realm="guarded"'


@pytest.mark.parametrize("header", ["Basic dXNlcjpwdw==", "Token reader", "reader"])
async def test_another_scheme_counts_as_no_token(client: httpx.AsyncClient, header: str) -> None:
    r = await client.get("/v1/things", headers={"authorization": header})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Bearer realm="guarded"'


async def test_a_refused_token_is_401_invalid_token(
    client: httpx.AsyncClient, verifier: FakeVerifier
) -> None:
    r = await client.get("/v1/things", headers=bearer("forged"))
    assert r.status_code == 401
    assert r.json()["code"] == "unauthenticated"
    assert "signature does not match" in r.json()["detail"]
    assert r.headers["www-authenticate"] == (
        'Bearer error="invalid_token", error_description="signature does not match"'
    )
    assert verifier.seen == ["forged"]


async def test_the_reason_is_made_safe_for_the_challenge(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/things", headers=bearer("quoted"))
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == (
        'Bearer error="invalid_token", error_description="bad ?kid?? here?"'
    )


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer two words",
        "Bearer ünïcode",
        "Bearer a=b",
        "Bearer " + "a" * (MAX_TOKEN_BYTES + 1),
    ],
)
async def test_a_malformed_bearer_is_401_without_asking_the_verifier(
    client: httpx.AsyncClient, verifier: FakeVerifier, header: str
) -> None:
    r = await client.get("/v1/things", headers=[(b"authorization", header.encode())])
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert verifier.seen == []


async def test_the_scheme_is_case_insensitive(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/things", headers={"authorization": "bearer reader"})
    assert r.status_code == 200
    r = await client.get("/v1/things", headers={"authorization": "BEARER reader"})
    assert r.status_code == 200


async def test_a_missing_scope_is_403_insufficient_scope(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/both", json={}, headers=bearer("onlya"))
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "forbidden"
    assert "b:y" in r.json()["detail"]
    assert r.headers["www-authenticate"] == 'Bearer error="insufficient_scope", scope="a:x b:y"'


async def test_every_declared_scope_is_needed(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/both", json={}, headers=bearer("ab"))
    assert r.status_code == 200
    assert r.json() == {"subject": "svc", "customer_id": None}


async def test_the_implementation_sees_the_principal(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/things", headers=bearer("reader"))
    assert r.status_code == 200
    assert r.json() == {"subject": "c-7", "customer_id": "c-7"}


async def test_an_operation_without_scopes_stays_open(
    client: httpx.AsyncClient, verifier: FakeVerifier
) -> None:
    r = await client.get("/v1/open")
    assert r.status_code == 200
    assert r.json() == {"subject": None, "customer_id": None}
    r = await client.get("/v1/open", headers=bearer("forged"))
    assert r.status_code == 200
    assert verifier.seen == []


@pytest.mark.parametrize("path", ["/livez", "/readyz", "/metrics", "/openapi.json"])
async def test_probes_and_documents_stay_open(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    assert r.status_code == 200


async def test_a_verifier_that_breaks_is_a_500_not_a_401(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/things", headers=bearer("boom"))
    assert r.status_code == 500
    assert r.json()["code"] == "internal"
    assert "key endpoint" not in r.text


async def test_the_principal_does_not_outlive_the_request(client: httpx.AsyncClient) -> None:
    await client.get("/v1/things", headers=bearer("reader"))
    assert current_principal() is None


def test_bearer_token_parsing() -> None:
    assert bearer_token(None) is None
    assert bearer_token(b"Basic abc") is None
    assert bearer_token(b"Bearer abc.def-_~+/==") == "abc.def-_~+/=="
    with pytest.raises(Unauthenticated):
        bearer_token(b"Bearer a b")


@pytest.mark.parametrize("realm", ["", 'a"b', "a\\b"])
def test_a_realm_must_fit_a_quoted_string(realm: str) -> None:
    with pytest.raises(ValueError, match="realm"):
        Authentication(FakeVerifier(), realm=realm)


@pytest.fixture
async def private(verifier: FakeVerifier) -> AsyncIterator[httpx.AsyncClient]:
    verifier.tokens["ops"] = Claims("prometheus", frozenset({"metadata:read"}))
    auth = Authentication(verifier, realm="guarded")
    app = App(
        Guarded,
        Service(),
        telemetry=Telemetry.noop("guarded"),
        layers=[auth],
        metadata_guard=auth.guarding("metadata:read"),
        freeze_gc=False,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://guarded.test"
    ) as c:
        yield c


@pytest.mark.parametrize("path", ["/metrics", "/openapi.json", "/v1/openapi.json"])
async def test_metadata_can_be_kept_for_token_holders(
    private: httpx.AsyncClient, path: str
) -> None:
    r = await private.get(path)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"] == 'Bearer realm="guarded"'
    r = await private.get(path, headers=bearer("reader"))
    assert r.status_code == 403
    assert r.headers["www-authenticate"] == (
        'Bearer error="insufficient_scope", scope="metadata:read"'
    )
    r = await private.get(path, headers=bearer("ops"))
    assert r.status_code == 200


@pytest.mark.parametrize("path", ["/livez", "/readyz"])
async def test_probes_stay_open_when_metadata_is_guarded(
    private: httpx.AsyncClient, path: str
) -> None:
    assert (await private.get(path)).status_code == 200


def test_guarding_needs_a_scope() -> None:
    with pytest.raises(ValueError, match="scope"):
        Authentication(FakeVerifier(), realm="x").guarding()


def test_auth_settings_from_the_environment() -> None:
    assert AuthSettings.from_env({}) == AuthSettings(
        enabled=True,
        identity_url="http://127.0.0.1:8104",
        issuer="",
        public_metadata=True,
        audit=True,
    )
    settings = AuthSettings.from_env(
        {
            "ACCORD_AUTH": "off",
            "ACCORD_ISSUER_URL": "http://id.test:9/",
            "ACCORD_PUBLIC_METADATA": "OFF",
            "ACCORD_AUDIT": "off",
        }
    )
    assert settings == AuthSettings(
        enabled=False,
        identity_url="http://id.test:9",
        issuer="",
        public_metadata=False,
        audit=False,
    )
    assert settings.token_issuer == "http://id.test:9"
    assert isinstance(settings.audit_trail("x"), NullAudit)
    assert AuthSettings(issuer="https://issuer.test").token_issuer == "https://issuer.test"
    with pytest.raises(AuthSettingsError, match="ACCORD_AUTH must be 'on' or 'off'"):
        AuthSettings.from_env({"ACCORD_AUTH": "maybe"})


def test_auth_settings_give_the_layer_and_the_guard() -> None:
    verifier = FakeVerifier()
    on = AuthSettings()
    auth = on.authentication("orders", verifier=verifier)
    assert auth is not None and auth.realm == "orders"
    assert on.metadata_guard(auth) is None
    assert AuthSettings(public_metadata=False).metadata_guard(auth) is not None
    assert AuthSettings(enabled=False).authentication("orders", verifier=verifier) is None
    assert AuthSettings(public_metadata=False).metadata_guard(None) is None
    built = on.authentication("orders")
    assert built is not None
