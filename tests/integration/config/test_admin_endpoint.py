"""``GET /admin/config`` answers holders of the admin scope the settings name, no one else."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from accord.config.common import Admin
from accord.observability.telemetry import Telemetry
from shop.payments.bootstrap import Settings, create_app
from tests.support.asgi import lifespan
from tests.support.tokens import TestIssuer

pytestmark = pytest.mark.anyio


async def test_the_admin_scope_comes_from_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    issuer = TestIssuer()
    settings = Settings(
        home=str(tmp_path),
        database_url=f"sqlite:///{tmp_path}/payments.db",
        processor_key="env:PAYMENTS_KEY_FOR_TEST",
        admin=Admin(scope="payments:admin"),
    )
    monkeypatch.setenv("PAYMENTS_KEY_FOR_TEST", "sk_test_resolved")
    app = create_app(
        settings, telemetry=Telemetry.noop("payments"), verifier=issuer.verifier("payments")
    )
    transport = httpx.ASGITransport(app=app)
    async with (
        lifespan(app),
        httpx.AsyncClient(transport=transport, base_url="http://payments") as client,
    ):
        assert (await client.get("/admin/config")).status_code == 401
        reader = issuer.bearer("payments:read")
        assert (await client.get("/admin/config", headers=reader)).status_code == 403
        answer = await client.get("/admin/config", headers=issuer.bearer("payments:admin"))
    assert answer.status_code == 200
    report = answer.json()
    assert report["values"]["admin.scope"] == "payments:admin"
    assert report["values"]["processor_key"] == "******** (env:PAYMENTS_KEY_FOR_TEST)"
    assert "sk_test_resolved" not in answer.text
    assert report["sources"]["max_in_flight"] == "given"
