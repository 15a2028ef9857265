"""Secrets never reach a log line or an exported span: marked fields and secret-named keys."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Annotated, Any

import httpx
import msgspec
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from accord import Contract, operation
from accord.contract import Secret, secret_fields
from accord.observability import Telemetry
from accord.observability.logs import REDACTED, is_secret, mark_secret, redact, scrub
from accord.observability.tracing import RedactingExporter
from accord.openapi import document
from accord.runtime import App

CARD = "tok_4242-very-secret"
PASSWORD = "hunter2-correct-horse"
BEARER = "Bearer eyJhbGciOi.secret.sig"


class Card(msgspec.Struct):
    vault_ref: Annotated[str, msgspec.Meta(min_length=4, max_length=64), Secret]
    last4: str


class Pay(msgspec.Struct):
    amount_cents: int
    cards: list[Card]
    memo: Annotated[str, Secret] | None = None


class Paid(msgspec.Struct):
    payment_id: str


class Vault(Contract, name="vault", version="1.0.0"):
    """Pays with stored cards."""

    pay = operation(Pay, Paid, method="POST", path="/payments")


class VaultService:
    def __init__(self, telemetry: Telemetry) -> None:
        self.log = telemetry.logger

    async def pay(self, request: Pay) -> Paid:
        # What careless application code might do: log the whole request, tag the span.
        self.log.info("paying", request=request, vault_ref=request.cards[0].vault_ref)
        span = trace.get_current_span()
        span.set_attribute("app.vault_ref", request.cards[0].vault_ref)
        span.set_attribute("app.amount_cents", request.amount_cents)
        span.add_event("charged", {"memo": request.memo or "", "last4": request.cards[0].last4})
        return Paid(payment_id="p-1")


class Observed:
    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.spans = InMemorySpanExporter()
        self.telemetry = Telemetry.configure(
            "vault",
            "1.0.0",
            log_stream=self.stream,
            environ={"OTEL_TRACES_SAMPLER": "always_on"},
            span_exporter=self.spans,
            simple_processor=True,
        )

    def text(self) -> str:
        self.telemetry.flush()
        return self.stream.getvalue()


@pytest.fixture
def observed() -> Iterator[Observed]:
    obs = Observed()
    yield obs
    obs.telemetry.shutdown()


def test_secret_fields_are_found_through_lists_and_unions() -> None:
    assert secret_fields(Pay) == {"vault_ref", "memo"}
    assert secret_fields(Paid) == frozenset()


def test_the_document_marks_secret_fields() -> None:
    schemas = document(Vault)["components"]["schemas"]
    card = schemas["Card"]["properties"]
    assert card["vault_ref"]["x-accord-secret"] is True
    assert "x-accord-secret" not in card["last4"]


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("password", True),
        ("new_password", True),
        ("Authorization", True),
        ("http.request.header.authorization", True),
        ("set-cookie", True),
        ("card_token", True),
        ("access_token", True),
        ("client_secret", True),
        ("x-api-key", True),
        ("cvv", True),
        ("trace_id", False),
        ("span_id", False),
        ("idempotency_key", False),
        ("correlation_id", False),
        ("status", False),
        ("spanner", False),
    ],
)
def test_secret_names(key: str, secret: bool) -> None:
    assert is_secret(key) is secret


def test_redact_walks_dicts_lists_and_structs() -> None:
    mark_secret("vault_ref")
    value = {
        "headers": {"Authorization": BEARER, "accept": "*/*"},
        "users": [{"name": "a", "password": PASSWORD}],
        "payment": Pay(amount_cents=5, cards=[Card(vault_ref=CARD, last4="4242")], memo="m"),
    }
    out = redact(value)
    assert out["headers"] == {"Authorization": REDACTED, "accept": "*/*"}
    assert out["users"] == [{"name": "a", "password": REDACTED}]
    assert out["payment"] == {
        "amount_cents": 5,
        "cards": [{"vault_ref": REDACTED, "last4": "4242"}],
        "memo": REDACTED,
    }
    assert value["headers"]["Authorization"] == BEARER, "the original is left alone"


def test_log_lines_hold_no_secret(observed: Observed) -> None:
    log = observed.telemetry.logger
    log.info(
        "signing_in",
        password=PASSWORD,
        headers={"authorization": BEARER, "cookie": "sid=abc123secret"},
        attempt=1,
    )
    text = observed.text()
    for secret in (PASSWORD, BEARER, "abc123secret"):
        assert secret not in text
    line = json.loads(text.splitlines()[-1])
    assert line["password"] == REDACTED
    assert line["headers"]["authorization"] == REDACTED
    assert line["attempt"] == 1


def test_spans_are_exported_redacted(observed: Observed) -> None:
    tracer = observed.telemetry.tracer
    with tracer.start_as_current_span("login") as span:
        span.set_attribute("user.password", PASSWORD)
        span.set_attribute("user.name", "ada")
        span.add_event("token_issued", {"access_token": BEARER, "ttl": 60})
    (exported,) = observed.spans.get_finished_spans()
    assert exported.attributes is not None
    assert exported.attributes["user.password"] == REDACTED
    assert exported.attributes["user.name"] == "ada"
    assert exported.events[0].attributes == {"access_token": REDACTED, "ttl": 60}


def test_a_span_without_secrets_is_passed_on_as_it_is() -> None:
    tracer = TracerProvider().get_tracer("t")
    with tracer.start_as_current_span("plain") as span:
        span.set_attribute("k", "v")
        span.add_event("e", {"n": 1})
    inner = InMemorySpanExporter()
    RedactingExporter(inner).export([span])  # type: ignore[list-item]
    assert inner.get_finished_spans()[0] is span


def test_the_quick_check_lets_no_secret_through_after_clean_spans() -> None:
    """Spans with the same keys as clean ones are still redacted by their values, and a
    secret key is caught whatever the keys seen before."""
    tracer = TracerProvider().get_tracer("t")
    shapes: list[dict[str, Any]] = [
        {"http.route": "/v1/x", "url.path": "/v1/x", "http.response.status_code": 200},
        {"http.route": "/v1/x", "url.path": BEARER, "http.response.status_code": 200},
        {"http.route": "/v1/x", "url.path": "/v1/x", "user.password": PASSWORD},
        {"http.route": "/v1/x", "url.path": ("a", f"x {BEARER}"), "http.response.status_code": 1},
    ]
    spans = []
    for attributes in shapes:
        span = tracer.start_span("s")
        span.set_attributes(attributes)
        span.end()
        spans.append(span)
    inner = InMemorySpanExporter()
    exporter = RedactingExporter(inner)
    for _ in range(2):  # the second time, every key tuple has been seen
        inner.clear()
        exporter.export(spans)  # type: ignore[arg-type]
        clean, bearer, password, nested = inner.get_finished_spans()
        assert clean is spans[0]
        assert bearer.attributes is not None and bearer.attributes["url.path"] == REDACTED
        assert password.attributes is not None
        assert password.attributes["user.password"] == REDACTED
        assert nested is spans[3]  # only top-level strings are scrubbed, as before


def test_a_key_marked_secret_later_is_redacted_in_spans_seen_clean_before() -> None:
    tracer = TracerProvider().get_tracer("t")

    def exported() -> Any:
        span = tracer.start_span("s")
        span.set_attributes({"http.route": "/v1/x", "vault_pin_later": "1234"})
        span.end()
        inner = InMemorySpanExporter()
        RedactingExporter(inner).export([span])  # type: ignore[list-item]
        return inner.get_finished_spans()[0].attributes

    assert exported()["vault_pin_later"] == "1234"  # its key tuple is now known clean
    mark_secret("vault_pin_later")
    assert exported()["vault_pin_later"] == REDACTED


@pytest.mark.anyio
async def test_a_served_request_leaves_no_secret_in_logs_or_spans(observed: Observed) -> None:
    app = App(Vault, VaultService(observed.telemetry), telemetry=observed.telemetry)
    body: dict[str, Any] = {
        "amount_cents": 1200,
        "cards": [{"vault_ref": CARD, "last4": "4242"}],
        "memo": PASSWORD,
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://vault.test") as client:
        response = await client.post("/v1/payments", json=body, headers={"authorization": BEARER})
    assert response.status_code == 200, response.text
    text = observed.text()
    assert '"event":"paying"' in text
    spans = observed.spans.get_finished_spans()
    exported = json.dumps(
        [
            {
                "attributes": dict(s.attributes or {}),
                "events": [dict(e.attributes or {}) for e in s.events],
            }
            for s in spans
        ]
    )
    assert "1200" in exported
    for secret in (CARD, PASSWORD, BEARER):
        assert secret not in text
        assert secret not in exported


JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJjdXNfMSJ9.c2lnbmF0dXJlLXNlY3JldA"


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        (f"token {JWT} refused", f"token {REDACTED} refused"),
        (f"Authorization: Bearer {JWT}", f"Authorization: {REDACTED}"),
        ("authorization: bearer opaque-token-1234==", f"authorization: {REDACTED}"),
        ("the bearer of the news", "the bearer of the news"),
        ("eyJ alone is nothing", "eyJ alone is nothing"),
    ],
)
def test_scrub_removes_bearer_credentials_from_text(text: str, scrubbed: str) -> None:
    assert scrub(text) == scrubbed


def test_tracebacks_and_messages_lose_their_tokens(observed: Observed) -> None:
    try:
        raise ValueError(f"could not verify {JWT}")
    except ValueError as exc:
        observed.telemetry.logger.error("verify_failed", exc_info=exc, note=f"Bearer {JWT}")
    stdlib = logging.getLogger("tests.redaction")
    bridge = observed.telemetry.logs.bridge()
    stdlib.addHandler(bridge)
    try:
        raise RuntimeError(f"upstream said Bearer {JWT}")
    except RuntimeError:
        stdlib.exception("call failed with %s", JWT)
    finally:
        stdlib.removeHandler(bridge)
    text = observed.text()
    assert "verify_failed" in text
    assert "call failed with" in text
    assert "Traceback" in text
    assert JWT not in text
    assert JWT[:20] not in text


def test_exception_events_lose_their_tokens(observed: Observed) -> None:
    with observed.telemetry.tracer.start_as_current_span("verify") as span:
        span.record_exception(ValueError(f"bad token {JWT}"))
        span.set_attribute("peer.note", "plain")
    (exported,) = observed.spans.get_finished_spans()
    event = exported.events[0]
    assert event.attributes is not None
    assert JWT not in str(event.attributes["exception.message"])
    assert REDACTED in str(event.attributes["exception.message"])
    assert exported.attributes == {"peer.note": "plain"}
