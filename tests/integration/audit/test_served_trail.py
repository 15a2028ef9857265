"""The audit trail of served services: identity and payments under ``accord serve``.

A customer registers and logs in (once with a wrong password), a service client gets a
token with a client assertion signed by its own key and authorizes a payment with a card
token, a forged token and a customer's token are refused by payments. Each event is a
record in ``<home>/audit/<service>.jsonl`` (written by the service's own process, flushed
when it stops), the chains verify with ``accord audit verify``, and no password, private
key, assertion, token or card token is in any file.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from accord.security.clientkeys import ASSERTION_TYPE, ClientKeys, sign_assertion
from tests.support.processes import free_port, running, wait_http
from tests.support.tokens import TestIssuer

PASSWORD = "correct horse battery staple 42"
CARD = "tok_visa"


def _env(home: Path, identity: str) -> dict[str, str]:
    return {
        "ACCORD_HOME": str(home),
        "ACCORD_ISSUER_URL": identity,
        "ACCORD_PUBLIC_METADATA": "on",
        "IDENTITY_SCRYPT_LOG_N": "10",
        "OTEL_TRACES_EXPORTER": "none",
    }


@contextlib.contextmanager
def serving(home: Path) -> Iterator[tuple[str, str]]:
    """Identity and payments in their own processes, stopped (SIGTERM) on leaving."""
    identity_port, payments_port = free_port(), free_port()
    identity = f"http://127.0.0.1:{identity_port}"
    payments = f"http://127.0.0.1:{payments_port}"
    env = _env(home, identity)
    serve = ["accord", "serve"]
    with (
        running(
            [*serve, "shop.identity.bootstrap:create_app", "--port", str(identity_port)],
            env=env,
            log=home / "identity.log",
        ),
        running(
            [*serve, "shop.payments.bootstrap:create_app", "--port", str(payments_port)],
            env=env,
            log=home / "payments.log",
        ),
    ):
        wait_http(identity + "/readyz", timeout=60)
        wait_http(payments + "/readyz", timeout=60)
        yield identity, payments


def _post(url: str, body: dict[str, Any], key: str, token: str = "") -> httpx.Response:
    headers = {"idempotency-key": key}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return httpx.post(url, json=body, headers=headers, timeout=30)


def _exercise(home: Path, identity: str, payments: str) -> list[str]:
    """Every audited path once; returns the secrets used along the way."""
    email = "ada@example.com"
    assert _post(
        identity + "/v1/customers", {"email": email, "password": PASSWORD}, "r1"
    ).is_success
    wrong = _post(identity + "/v1/login", {"email": email, "password": PASSWORD + "x"}, "l0")
    assert wrong.status_code == 401
    login = _post(identity + "/v1/login", {"email": email, "password": PASSWORD}, "l1")
    assert login.status_code == 200, login.text
    customer = login.json()["access_token"]
    keys = ClientKeys.under(home)
    keys.ensure(["orders"])

    def grant() -> dict[str, str]:  # a fresh assertion each time: each is used once
        assertion = sign_assertion(keys.private_key("orders"), "orders", identity + "/v1/token")
        kind = {"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}
        return {"grant_type": "client_credentials", "client_id": "orders", **kind}

    first = grant()
    granted = _post(identity + "/v1/token", {**first, "scope": "payments:authorize"}, "t1")
    assert granted.status_code == 200, granted.text
    service = granted.json()["access_token"]
    payment = {"order_id": "ord-1", "amount_cents": 4999, "currency": "EUR", "card_token": CARD}
    assert _post(payments + "/v1/authorizations", payment, "p1", service).is_success
    forged = TestIssuer(issuer=identity).token("payments:authorize")
    refused = _post(payments + "/v1/authorizations", payment, "p2", forged)
    assert refused.status_code == 401
    # A customer's token is not for payments (its audience): refused as a token.
    assert _post(payments + "/v1/authorizations", payment, "p3", customer).status_code == 401
    beyond = _post(identity + "/v1/token", {**grant(), "scope": "payments:read"}, "t2")
    assert beyond.status_code == 400, beyond.text  # not the orders client's to ask for
    narrow = _post(identity + "/v1/token", {**grant(), "scope": "payments:void"}, "t3")
    reader = narrow.json()["access_token"]
    assert _post(payments + "/v1/authorizations", payment, "p4", reader).status_code == 403
    private = keys.key_path("orders").read_text().splitlines()[1]  # the key's own bytes
    assertion = first["client_assertion"]
    return [PASSWORD, PASSWORD + "x", customer, service, forged, reader, assertion, private, CARD]


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _accord(*args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "accord", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


def test_served_events_are_recorded_chained_and_free_of_secrets(tmp_path: Path) -> None:
    with serving(tmp_path) as (identity, payments):
        secrets = _exercise(tmp_path, identity, payments)
    # Both processes have stopped on SIGTERM: what they queued is on disk.
    audit = tmp_path / "audit"
    logins = [r for r in _records(audit / "identity.jsonl") if r["action"] == "identity.login"]
    assert [(r["actor"], r["outcome"]) for r in logins] == [
        ("ada@example.com", "refused"),
        ("ada@example.com", "success"),
    ]
    assert logins[0]["details"]["reason"] == "invalid_credentials"
    grants = [
        r for r in _records(audit / "identity.jsonl") if r["action"] == "identity.client_token"
    ]
    assert [(r["actor"], r["outcome"]) for r in grants] == [
        ("client:orders", "success"),
        ("client:orders", "refused"),
        ("client:orders", "success"),
    ]
    assert grants[1]["details"] == {
        "scope": "payments:read",
        "method": "private_key_jwt",
        "reason": "invalid_scope",
    }
    refusals = _records(audit / "payments.jsonl")
    assert [(r["action"], r["target"]) for r in refusals] == [
        ("auth.token_refused", "POST /v1/authorizations"),
        ("auth.token_refused", "POST /v1/authorizations"),
        ("auth.scope_refused", "POST /v1/authorizations"),
    ]
    assert "unknown key" in refusals[0]["details"]["reason"]
    assert "audience" in refusals[1]["details"]["reason"]
    assert refusals[2]["details"]["missing"] == "payments:authorize"
    assert refusals[2]["actor"] == "client:orders"  # the token's subject, never the token
    for path in audit.iterdir():
        text = path.read_text()
        for value in secrets:
            assert value not in text, f"{path.name} holds a secret it must not"

    ok = _accord("audit", "verify", "--home", str(tmp_path))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "identity.jsonl: 5 record(s), chain intact" in ok.stdout
    assert "payments.jsonl: 3 record(s), chain intact" in ok.stdout
    lines = (audit / "identity.jsonl").read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace('"success"', '"refused"')
    (audit / "identity.jsonl").write_text("".join(lines))
    broken = _accord("audit", "verify", "--home", str(tmp_path))
    assert broken.returncode == 1
    assert f"BROKEN {audit / 'identity.jsonl'}:2: hash does not match" in broken.stdout
