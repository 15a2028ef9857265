"""Certificate-bound tokens (RFC 8705 §3): the auth layer compares ``cnf``/``x5t#S256``
with the certificate of the connection the request came on."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import httpx
import msgspec
import pytest
from cryptography.hazmat.primitives import serialization

from accord import Contract, Idempotency, operation
from accord.audit import AuditTrail, read_records
from accord.observability import Telemetry
from accord.runtime import App, Authentication
from accord.runtime.peer import _WithPeer
from accord.security import CertStore
from accord.security.binding import bound_thumbprint, confirmation, thumbprint
from tests.support.tokens import TestIssuer

pytestmark = pytest.mark.anyio


class Ask(msgspec.Struct):
    what: str = "x"


class Answer(msgspec.Struct):
    ok: bool


class Stock(Contract, name="stock", version="1.0.0"):
    read = operation(
        Ask, Answer, method="GET", path="/stock", idempotency=Idempotency.READ_ONLY,
        scopes=("stock:read",),
    )  # fmt: skip


class Service:
    async def read(self, request: Ask) -> Answer:
        return Answer(ok=True)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    store = CertStore(tmp_path_factory.mktemp("certs"))
    store.init("shop.local")
    return {
        name: store.issue(name).cert.public_bytes(serialization.Encoding.DER)
        for name in ("orders", "intruder")
    }


@pytest.fixture
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture
def trail(tmp_path: Path) -> AuditTrail:
    return AuditTrail.under(tmp_path, "stock")


@pytest.fixture
def app(issuer: TestIssuer, trail: AuditTrail) -> App:
    auth = Authentication(issuer.verifier("stock"), realm="stock", audit=trail)
    return App(Stock, Service(), telemetry=Telemetry.noop("stock"), layers=[auth], freeze_gc=False)


async def call(app: App, token: str, der: bytes | None) -> httpx.Response:
    asgi = _WithPeer(app, der) if der is not None else app
    transport = httpx.ASGITransport(app=asgi)
    async with httpx.AsyncClient(transport=transport, base_url="https://stock.test") as http:
        return await http.get("/v1/stock", headers={"authorization": f"Bearer {token}"})


def test_the_thumbprint_is_base64url_sha256_of_the_der(certificates: dict[str, bytes]) -> None:
    der = certificates["orders"]
    digest = hashlib.sha256(der).digest()
    assert thumbprint(der) == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert "=" not in thumbprint(der) and len(thumbprint(der)) == 43


def test_confirmation_reads_only_a_well_formed_binding() -> None:
    assert confirmation({}) is None
    assert confirmation({"cnf": {"x5t#S256": "abc"}}) == "abc"
    assert confirmation({"cnf": "abc"}) == ""  # present but malformed: never matches
    assert confirmation({"cnf": {"jkt": "abc"}}) == ""


async def test_a_bound_token_passes_on_its_own_certificate(
    app: App, issuer: TestIssuer, certificates: dict[str, bytes]
) -> None:
    token = issuer.token("stock:read", cnf={"x5t#S256": thumbprint(certificates["orders"])})
    assert bound_thumbprint(token) == thumbprint(certificates["orders"])
    r = await call(app, token, certificates["orders"])
    assert r.status_code == 200, r.text


async def test_a_bound_token_on_another_certificate_is_401_certificate_mismatch(
    app: App, issuer: TestIssuer, certificates: dict[str, bytes], trail: AuditTrail
) -> None:
    token = issuer.token("stock:read", cnf={"x5t#S256": thumbprint(certificates["orders"])})
    for der in (certificates["intruder"], None):  # another certificate, or plain HTTP
        r = await call(app, token, der)
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "certificate_mismatch"
        assert 'error="invalid_token"' in r.headers["www-authenticate"]
    malformed = issuer.token("stock:read", cnf="not-a-binding")
    assert (await call(app, malformed, certificates["orders"])).json()["code"] == (
        "certificate_mismatch"
    )
    trail.close()
    records, _ = read_records(trail.path)
    assert [r["details"]["reason"] for r in records] == ["certificate mismatch"] * 3


async def test_an_unbound_token_needs_no_certificate(
    app: App, issuer: TestIssuer, certificates: dict[str, bytes]
) -> None:
    token = issuer.token("stock:read")
    assert bound_thumbprint(token) is None
    assert (await call(app, token, None)).status_code == 200
    assert (await call(app, token, certificates["intruder"])).status_code == 200
