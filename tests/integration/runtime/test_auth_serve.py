"""Authentication in a real process: inventory under ``accord serve``, keys over HTTP.

The identity service is stood in for by a loopback server publishing a test key set
(``ACCORD_ISSUER_URL``); inventory fetches it when the first token arrives, keeps it,
and checks every token against it. ``ACCORD_PUBLIC_METADATA`` decides whether
``/metrics`` and the OpenAPI documents need a token; the probes never do.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from tests.support.processes import free_port, running, wait_http
from tests.support.tokens import TestIssuer

ISSUER = TestIssuer()


class Keys(http.server.BaseHTTPRequestHandler):
    """Serves the test issuer's key set and counts the fetches."""

    fetched: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Keys.fetched.append(self.path)
        body = json.dumps(ISSUER.jwks).encode()
        self.send_response(200 if self.path == "/.well-known/jwks.json" else 404)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def identity() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Keys)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def serve(home: Path, identity: str, **env: str) -> Any:
    port = free_port()
    full = {
        "ACCORD_HOME": str(home),
        "ACCORD_ISSUER_URL": identity,
        "ACCORD_TOKEN_ISSUER": ISSUER.issuer,
        "OTEL_TRACES_EXPORTER": "none",
        **env,
    }
    args = ["accord", "serve", "shop.inventory.bootstrap:create_app", "--port", str(port)]
    return port, running(args, env=full, log=home / "inventory.log")


def bearer(*scopes: str) -> dict[str, str]:
    return ISSUER.bearer(*scopes)


def test_scopes_are_enforced_with_keys_fetched_once(tmp_path: Path, identity: str) -> None:
    Keys.fetched = []
    port, process = serve(tmp_path, identity)
    with process:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/readyz", timeout=60)
        assert Keys.fetched == []  # nothing is fetched before a token needs it
        anonymous = httpx.get(base + "/v1/skus", timeout=10)
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == 'Bearer realm="inventory"'
        for _ in range(5):
            ok = httpx.get(base + "/v1/skus", headers=bearer("inventory:read"), timeout=10)
            assert ok.status_code == 200, ok.text
        assert Keys.fetched == ["/.well-known/jwks.json"]
        restock = httpx.post(
            base + "/v1/skus/SKU-APPLE/restock",
            json={"quantity": 1},
            headers={**bearer("inventory:read"), "idempotency-key": "k-1"},
            timeout=10,
        )
        assert restock.status_code == 403
        assert restock.headers["www-authenticate"] == (
            'Bearer error="insufficient_scope", scope="inventory:admin"'
        )
        stranger = TestIssuer(issuer=ISSUER.issuer, kid="other").token("inventory:read")
        refused = httpx.get(
            base + "/v1/skus", headers={"authorization": f"Bearer {stranger}"}, timeout=10
        )
        assert refused.status_code == 401
        assert "unknown key" in refused.headers["www-authenticate"]
        for path in ("/livez", "/readyz", "/metrics", "/openapi.json", "/v1/openapi.json"):
            assert httpx.get(base + path, timeout=10).status_code == 200, path


def test_metadata_kept_for_token_holders_when_configured(tmp_path: Path, identity: str) -> None:
    port, process = serve(tmp_path, identity, ACCORD_PUBLIC_METADATA="off")
    with process:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/readyz", timeout=60)
        assert httpx.get(base + "/livez", timeout=10).status_code == 200
        for path in ("/metrics", "/openapi.json", "/v1/openapi.json"):
            assert httpx.get(base + path, timeout=10).status_code == 401, path
            wrong = httpx.get(base + path, headers=bearer("inventory:read"), timeout=10)
            assert wrong.status_code == 403, path
            right = httpx.get(base + path, headers=bearer("metadata:read"), timeout=10)
            assert right.status_code == 200, path


def test_authentication_can_be_turned_off(tmp_path: Path, identity: str) -> None:
    port, process = serve(tmp_path, identity, ACCORD_AUTH="off")
    with process:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/readyz", timeout=60)
        assert httpx.get(base + "/v1/skus", timeout=10).status_code == 200


def test_a_bad_switch_stops_the_service_with_one_line(tmp_path: Path, identity: str) -> None:
    _, process = serve(tmp_path, identity, ACCORD_AUTH="sometimes")
    with process as proc:
        assert proc.wait(60) != 0
    log = (tmp_path / "inventory.log").read_text()
    assert "$ACCORD_AUTH: auth.enabled: must be 'on' or 'off'" in log
    assert "Traceback" not in log
