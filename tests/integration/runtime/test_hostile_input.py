"""Hostile requests against a real ``accord serve`` process: only 4xx problems, no leaks.

The service below runs with the default limits, a rate limit on ``login``, a real
SQLite database for an operation that fails in SQL, and a secret field; every answer is
checked for its status and its problem document, and what the process logged and
exported is checked for the secrets it was sent.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import msgspec
import pytest
import sqlalchemy as sa

from accord import Contract, operation
from accord.contract import Secret
from accord.observability import Telemetry
from accord.runtime import App
from accord.runtime.ratelimit import Rate, RateLimit
from accord.sql import create_engine
from tests.support.processes import free_port, running, wait_http

CARD = "tok_visa_4242_hostile_secret"
BEARER = "Bearer hostile.jwt.signature-secret"
SQL_MARK = "hostile_missing_table"
PATH_MARK = "/srv/hostile/internal/settings.py"


class Item(msgspec.Struct):
    sku: Annotated[str, msgspec.Meta(max_length=32)]
    qty: Annotated[int, msgspec.Meta(gt=0, le=1000)]


class PlaceOrder(msgspec.Struct):
    customer_id: str
    items: list[Item]
    card_token: Annotated[str, msgspec.Meta(min_length=4, max_length=64), Secret]
    note: str = ""
    currency: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")] = "EUR"


class Order(msgspec.Struct):
    order_id: str
    status: str
    total_cents: int
    note_length: int


class Strict(msgspec.Struct, forbid_unknown_fields=True):
    name: str


class Login(msgspec.Struct):
    user: str


class Done(msgspec.Struct):
    ok: bool


class Hostile(Contract, name="hostile", version="1.0.0"):
    """A service that meets hostile input."""

    place = operation(PlaceOrder, Order, method="POST", path="/orders", status=201)
    strict = operation(Strict, Done, method="POST")
    boom = operation(Done, Done, method="POST")
    db = operation(Done, Done, method="POST")
    login = operation(Login, Done, method="POST")


class HostileService:
    def __init__(self, telemetry: Telemetry, database: Path) -> None:
        self.log = telemetry.logger
        self.engine = create_engine(f"sqlite:///{database}")

    async def place(self, request: PlaceOrder) -> Order:
        from opentelemetry import trace

        self.log.info("placing", request=request, card_token=request.card_token, note=request.note)
        trace.get_current_span().set_attribute("shop.card_token", request.card_token)
        total = sum(item.qty * 100 for item in request.items)
        return Order("o-1", "pending", total, len(request.note))

    async def strict(self, request: Strict) -> Done:
        return Done(ok=True)

    async def boom(self, request: Done) -> Done:
        raise RuntimeError(f"cannot read {PATH_MARK}")

    async def db(self, request: Done) -> Done:
        async with self.engine.connect() as conn:
            await conn.execute(sa.text(f"SELECT secret FROM {SQL_MARK} WHERE id = 1"))
        return Done(ok=True)  # pragma: no cover - the query fails

    async def login(self, request: Login) -> Done:
        return Done(ok=True)


def factory() -> App:
    """What ``accord serve tests.integration.runtime.test_hostile_input:factory`` runs."""
    telemetry = Telemetry.configure(Hostile.name, Hostile.version)
    database = Path(os.environ["ACCORD_HOME"]) / "hostile.db"
    limit = RateLimit({"hostile.login": Rate(3, per=60.0)})
    return App(Hostile, HostileService(telemetry, database), telemetry=telemetry, layers=[limit])


#: Seconds a client has to send a request head, for this module's server.
HEAD_TIMEOUT = 1.5


class Server:
    def __init__(self, base: str, home: Path, log: Path) -> None:
        self.base = base
        self.home = home
        self.log = log


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("hostile")
    port = free_port()
    log = home / "serve.log"
    env = {
        "ACCORD_HOME": str(home),
        "OTEL_TRACES_SAMPLER": "always_on",
        "PYTHONUNBUFFERED": "1",
    }
    args = ["accord", "serve", f"{__name__}:factory", "--port", str(port)]
    args += ["--head-timeout", str(HEAD_TIMEOUT)]
    with running(args, env=env, log=log):
        wait_http(f"http://127.0.0.1:{port}/readyz")
        yield Server(f"http://127.0.0.1:{port}", home, log)


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base, timeout=30) as c:
        yield c


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> Any:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code
    return body


ORDER: dict[str, Any] = {
    "customer_id": "c-1",
    "items": [{"sku": "A", "qty": 2}],
    "card_token": CARD,
}
JSON = {"content-type": "application/json"}


def post(client: httpx.Client, path: str, body: bytes, **headers: str) -> httpx.Response:
    return client.post(path, content=body, headers={**JSON, **headers})


def test_a_good_order_is_served(client: httpx.Client) -> None:
    response = client.post("/v1/orders", json=ORDER, headers={"authorization": BEARER})
    assert response.status_code == 201, response.text
    assert response.json()["total_cents"] == 200


@pytest.mark.parametrize(
    ("name", "body", "status", "code"),
    [
        ("deep nesting", b'{"note":' + b"[" * 200_000 + b"]" * 200_000 + b"}", 422, None),
        ("unclosed nesting", b"[" * 500_000, 422, None),
        ("long string", json.dumps({**ORDER, "note": "x" * 70_000}).encode(), 422, None),
        (
            "long array",
            json.dumps({**ORDER, "items": [{"sku": "A", "qty": 1}] * 12_000}).encode(),
            422,
            None,
        ),
        ("over the body limit", b'{"note":"' + b"x" * (2 << 20) + b'"}', 413, None),
        ("invalid utf-8", b'{"customer_id":"\xff\xfe","items":[],"card_token":"abcd"}', 422, None),
        ("not json", b"\x00\x01garbage", 422, None),
        ("huge integer", b'{"customer_id":"c","items":[{"qty":' + b"9" * 5000 + b"}]}", 422, None),
        ("huge float", b'{"customer_id":"c","items":[{"sku":"A","qty":1e999999}]}', 422, None),
        ("wrong types", b'{"customer_id":1,"items":"x","card_token":null}', 422, None),
        ("empty object", b"{}", 422, None),
        ("a json array", b"[1,2,3]", 422, None),
        ("lone surrogate", b'{"customer_id":"\\ud800","items":[],"card_token":"abcd"}', 422, None),
    ],
)
def test_hostile_bodies_are_4xx_problems(
    client: httpx.Client, name: str, body: bytes, status: int, code: str | None
) -> None:
    assert_problem(post(client, "/v1/orders", body), status, code)


def test_a_long_string_names_its_path(client: httpx.Client) -> None:
    body = json.dumps({**ORDER, "note": "x" * 70_000}).encode()
    problem = assert_problem(post(client, "/v1/orders", body), 422, "validation_failed")
    assert problem["errors"][0]["path"] == "$.note"


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", "multipart/form-data; boundary=x", "application/jsonp"],
)
def test_other_media_types_are_415(client: httpx.Client, content_type: str) -> None:
    response = client.post(
        "/v1/orders", content=json.dumps(ORDER), headers={"content-type": content_type}
    )
    assert_problem(response, 415, "unsupported_media_type")


def test_too_many_headers_is_431(client: httpx.Client) -> None:
    headers = [(f"x-h{i}", "v") for i in range(150)]
    response = client.post("/v1/orders", json=ORDER, headers=headers)
    assert_problem(response, 431, "headers_too_large")


def test_a_huge_header_is_431(client: httpx.Client) -> None:
    response = client.post("/v1/orders", json=ORDER, headers={"x-big": "v" * 40_000})
    assert_problem(response, 431, "headers_too_large")


def test_a_long_query_is_431(client: httpx.Client) -> None:
    response = client.post("/v1/orders?q=" + "x" * 10_000, json=ORDER)
    assert_problem(response, 431, "headers_too_large")


def test_read_only_fields_sent_by_a_client_are_ignored(client: httpx.Client) -> None:
    response = client.post(
        "/v1/orders",
        json={**ORDER, "status": "paid", "total_cents": 1, "order_id": "mine"},
    )
    assert response.status_code == 201, response.text
    assert response.json() == {
        "order_id": "o-1",
        "status": "pending",
        "total_cents": 200,
        "note_length": 0,
    }


def test_a_strict_message_refuses_unknown_fields(client: httpx.Client) -> None:
    response = client.post("/v1/strict", json={"name": "n", "admin": True})
    problem = assert_problem(response, 422, "validation_failed")
    assert "admin" in problem["detail"]


@pytest.mark.parametrize("path", ["/v1/boom", "/v1/db"])
def test_failures_show_no_internals(client: httpx.Client, path: str) -> None:
    response = client.post(path, json={"ok": True})
    problem = assert_problem(response, 500, "internal")
    text = response.text
    for leak in ("Traceback", 'File "', PATH_MARK, SQL_MARK, "SELECT", "sqlite", "sqlalchemy"):
        assert leak not in text, f"{leak!r} reached the client"
    assert ".py" not in text
    assert problem["trace_id"]


def test_login_is_rate_limited_with_retry_after(client: httpx.Client) -> None:
    statuses = [client.post("/v1/login", json={"user": "u"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    refused = client.post("/v1/login", json={"user": "u"})
    assert_problem(refused, 429, "rate_limited")
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= 20
    assert client.post("/v1/strict", json={"name": "n"}).status_code == 200, "others unlimited"


def test_the_server_sends_no_server_header(client: httpx.Client) -> None:
    response = client.get("/livez")
    assert "server" not in response.headers


def test_nothing_secret_was_logged_or_exported(client: httpx.Client, server: Server) -> None:
    client.post("/v1/orders", json=ORDER, headers={"authorization": BEARER})
    client.post("/v1/boom", json={"ok": True}, headers={"authorization": BEARER})
    logged = ""
    spans = ""
    for _ in range(50):  # the log flusher and the span batcher write within a second
        logged = server.log.read_text(encoding="utf-8", errors="replace")
        spans_file = server.home / "telemetry" / "hostile.jsonl"
        spans = spans_file.read_text(encoding="utf-8") if spans_file.exists() else ""
        if '"event":"placing"' in logged and "shop.card_token" in spans:
            break
        time.sleep(0.2)
    assert '"event":"placing"' in logged
    assert "shop.card_token" in spans
    assert BEARER not in logged and BEARER not in spans
    assert CARD not in spans
    assert CARD not in logged
    assert '"card_token":"[redacted]"' in logged
    assert PATH_MARK in logged, "the traceback went to the log, where it belongs"


def raw_exchange(server: Server, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` as it is over a socket; the status, headers and body answered."""
    host, port = server.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /v1/orders HTTP/1.1\r\nHost: x\r\nX-Bad\x01: y\r\n\r\n",
        b"GET /v1/orders HTTP/1.1\r\nHost: x\r\nX-Bad: a\x00b\r\n\r\n",
        b"NOT-HTTP AT ALL\r\n\r\n",
        b"POST /v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}",
        b"POST /v1/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
def test_requests_the_parser_refuses_are_problems_too(server: Server, request_bytes: bytes) -> None:
    status, headers, body = raw_exchange(server, request_bytes)
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert int(headers["content-length"]) == len(body)
    problem = json.loads(body)
    assert problem["code"] == "bad_request"
    assert problem["status"] == 400
    assert "server" not in headers


SINGLE_VALUES = {
    "authorization": BEARER,
    "idempotency-key": "k-1",
    "content-type": "application/json",
    "traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01",
    "accord-timeout": "5S",
}


@pytest.mark.parametrize("name", sorted(SINGLE_VALUES))
def test_a_repeated_singleton_header_is_400_naming_it(client: httpx.Client, name: str) -> None:
    headers = [("content-type", "application/json")] if name != "content-type" else []
    headers += [(name, "garbage"), (name, SINGLE_VALUES[name])]
    response = client.post("/v1/orders", content=json.dumps(ORDER), headers=headers)
    problem = assert_problem(response, 400, "duplicate_header")
    assert f"the {name} header" in problem["detail"]


def test_a_singleton_header_once_and_other_headers_twice_are_served(client: httpx.Client) -> None:
    headers = [(name, value) for name, value in SINGLE_VALUES.items()]
    headers += [("accept", "application/json"), ("accept", "*/*"), ("x-note", "a"), ("x-note", "b")]
    response = client.post("/v1/orders", content=json.dumps(ORDER), headers=headers)
    assert response.status_code == 201, response.text


def test_a_repeated_content_length_is_400(server: Server) -> None:
    body = json.dumps(ORDER).encode()
    head = (
        b"POST /v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
    ) % (len(body), len(body))
    status, headers, answer = raw_exchange(server, head + body)
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(answer)["code"] in {"bad_request", "duplicate_header"}


def test_a_pattern_matches_the_whole_string(client: httpx.Client) -> None:
    response = client.post("/v1/orders", json={**ORDER, "currency": "EUR\n"})
    problem = assert_problem(response, 422, "validation_failed")
    assert problem["errors"][0]["path"] == "$.currency"
    assert client.post("/v1/orders", json={**ORDER, "currency": "EUR"}).status_code == 201
    schema = client.get("/openapi.json").json()["components"]["schemas"]["PlaceOrder"]
    assert schema["properties"]["currency"]["pattern"] == "^[A-Z]{3}$", "what is checked"


def test_no_value_a_client_sends_splits_a_log_line(client: httpx.Client, server: Server) -> None:
    forged = '"}\n{"level":"error","event":"forged"}\u2028\x85\x1b[2J'
    response = client.post("/v1/orders", json={**ORDER, "note": "mark-7" + forged})
    assert response.status_code == 201, response.text
    client.get("/v1/nothing%0A%7B%22event%22%3A%22forged%22%7D")
    placing: dict[str, Any] = {}
    for _ in range(50):  # the flusher writes within a second
        lines = server.log.read_text(encoding="utf-8").splitlines()
        parsed = [json.loads(line) for line in lines]  # every line is one JSON document
        placing = next((p for p in parsed if "mark-7" in str(p.get("note"))), {})
        if placing and any(p.get("path", "").startswith("/v1/nothing") for p in parsed):
            break
        time.sleep(0.2)
    assert placing["note"].isprintable(), placing["note"]
    assert placing["note"].startswith('mark-7"}\\n{')
    assert not [p for p in parsed if p.get("event") == "forged"]
    (request,) = [p for p in parsed if p.get("path", "").startswith("/v1/nothing")]
    assert request["path"] == '/v1/nothing\\n{"event":"forged"}'


def head_timeouts(client: httpx.Client) -> float:
    """``accord_server_head_timeouts_total`` as the server exports it now."""
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("accord_server_head_timeouts_total "):
            return float(line.split()[1])
    raise AssertionError("no accord_server_head_timeouts_total on /metrics")


def connect(server: Server) -> socket.socket:
    host, port = server.base.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed ``sock`` (without blocking)."""
    sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)


def test_slow_heads_and_silent_connections_are_cut_and_counted(
    server: Server, client: httpx.Client
) -> None:
    before = head_timeouts(client)
    slow = [connect(server) for _ in range(8)]
    for sock in slow:
        sock.sendall(b"POST /v1/orders HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    silent = [connect(server) for _ in range(2)]
    open_ = set(slow + silent)
    give_up = time.monotonic() + 10 * HEAD_TIMEOUT
    while open_ and time.monotonic() < give_up:
        for sock in list(open_):
            try:
                if sock in slow:
                    sock.sendall(b"x")  # a byte now and then keeps no head alive
            except OSError:
                open_.discard(sock)
                continue
            if closed_by_server(sock):
                open_.discard(sock)
        time.sleep(0.2)
    for sock in slow + silent:
        sock.close()
    assert not open_, f"{len(open_)} of 10 connections still held"
    assert head_timeouts(client) == before + 10


def read_response(sock: socket.socket) -> bytes:
    """One whole response with a ``content-length`` from ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def test_a_head_in_pieces_in_time_and_a_pause_between_requests_are_served(
    server: Server,
) -> None:
    body = json.dumps({"name": "n"}).encode()
    head = b"POST /v1/strict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    head += b"Content-Length: %d\r\n\r\n" % len(body)
    with connect(server) as sock:
        for attempt in range(2):
            sock.sendall(head[:20])
            time.sleep(HEAD_TIMEOUT / 3)
            sock.sendall(head[20:] + body)
            answer = read_response(sock)
            assert answer.startswith(b"HTTP/1.1 200 "), (attempt, answer[:200])
            assert answer.endswith(b'{"ok":true}')
            if attempt == 0:
                time.sleep(HEAD_TIMEOUT * 1.5)  # idle between requests: keep-alive's to bound


def test_each_head_gets_the_whole_time_from_its_own_first_byte(server: Server) -> None:
    """A head that begins late in the connection's first timer period is timed from its
    own first byte: served when it is in time, cut when it is not, either way across
    the moment the connection's first period ends."""
    body = json.dumps({"name": "n"}).encode()
    head = b"POST /v1/strict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    head += b"Content-Length: %d\r\n\r\n" % len(body)
    with connect(server) as sock:
        sock.sendall(head + body)  # the first head, at once
        assert read_response(sock).startswith(b"HTTP/1.1 200 ")
        time.sleep(HEAD_TIMEOUT * 0.6)
        sock.sendall(head[:20])  # 0.6 periods in: its own period ends at 1.6
        time.sleep(HEAD_TIMEOUT * 0.8)  # past the end of the connection's first period
        assert not closed_by_server(sock)
        sock.sendall(head[20:] + body)
        assert read_response(sock).startswith(b"HTTP/1.1 200 ")
        time.sleep(HEAD_TIMEOUT * 0.6)
        sock.sendall(head[:20])  # a head that never ends
        started = time.monotonic()
        time.sleep(HEAD_TIMEOUT * 0.7)
        assert not closed_by_server(sock)  # not cut by a period that began earlier
        while not closed_by_server(sock) and time.monotonic() < started + 5 * HEAD_TIMEOUT:
            time.sleep(0.05)
        assert closed_by_server(sock)
        assert time.monotonic() - started >= HEAD_TIMEOUT


def test_forwarded_addresses_are_not_believed_by_default(client: httpx.Client) -> None:
    statuses = [
        client.post(
            "/v1/login", json={"user": "u"}, headers={"x-forwarded-for": f"10.0.0.{i}"}
        ).status_code
        for i in range(1, 6)
    ]
    assert 429 in statuses, "each forged address got a budget of its own"
    assert statuses.count(200) <= 3


def test_forwarded_addresses_are_believed_from_a_proxy_named(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    home = tmp_path_factory.mktemp("proxied")
    port = free_port()
    args = ["accord", "serve", f"{__name__}:factory", "--port", str(port)]
    args += ["--forwarded-allow-ips", "127.0.0.1"]
    with running(args, env={"ACCORD_HOME": str(home)}, log=home / "serve.log"):
        wait_http(f"http://127.0.0.1:{port}/readyz")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as proxy:

            def login(address: str) -> int:
                headers = {"x-forwarded-for": address}
                return proxy.post("/v1/login", json={"user": "u"}, headers=headers).status_code

            assert [login("203.0.113.7") for _ in range(4)] == [200, 200, 200, 429]
            assert login("203.0.113.8") == 200, "another client behind the proxy"
