"""Fuzzing the request decoding through the App: any input is a 2xx or a 4xx problem.

Bounded so that it runs in a few seconds on every ``make test``: random bytes as
bodies, JSON that nests deep or holds huge numbers, invalid UTF-8, odd media types,
odd header names and values, odd paths and query strings. Never a 5xx, and every
refusal is a problem document with a code.
"""

from __future__ import annotations

import asyncio
import datetime
import enum
import json
import uuid
from typing import Annotated, Any, Literal

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord import Contract, Idempotency, operation
from accord.runtime import App
from accord.runtime.limits import Limits


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Line(msgspec.Struct, forbid_unknown_fields=True):
    sku: Annotated[str, msgspec.Meta(min_length=1, max_length=16, pattern="^[A-Z0-9-]+$")]
    qty: Annotated[int, msgspec.Meta(gt=0, le=1000)]
    price: Annotated[float, msgspec.Meta(ge=0)] = 0.0


class Cat(msgspec.Struct, tag="cat"):
    lives: int


class Dog(msgspec.Struct, tag="dog"):
    good: bool


class Everything(msgspec.Struct, kw_only=True):
    id: Annotated[str, msgspec.Meta(pattern="^[0-9a-f-]{36}$")]
    when: datetime.datetime
    ref: uuid.UUID | None = None
    lines: Annotated[list[Line], msgspec.Meta(max_length=20)]
    color: Color = Color.RED
    pet: Cat | Dog | None = None
    labels: dict[str, str] = {}
    mode: Literal["fast", "safe"] = "safe"
    blob: bytes = b""
    anything: Any = None


class Accepted(msgspec.Struct):
    lines: int


class Lookup(msgspec.Struct):
    key: Annotated[str, msgspec.Meta(max_length=40)]
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 10
    tags: list[str] = []
    exact: bool = False
    ratio: float | None = None


class Found(msgspec.Struct):
    key: str


class Fuzz(Contract, name="fuzz", version="1.0.0"):
    """Every kind of field the decoder knows."""

    submit = operation(Everything, Accepted, method="POST", path="/things/{id}")
    lookup = operation(
        Lookup, Found, method="GET", path="/lookup/{key}", idempotency=Idempotency.READ_ONLY
    )


class FuzzService:
    async def submit(self, request: Everything) -> Accepted:
        return Accepted(lines=len(request.lines))

    async def lookup(self, request: Lookup) -> Found:
        return Found(key=request.key)


APP = App(
    Fuzz,
    FuzzService(),
    freeze_gc=False,
    limits=Limits(max_body_bytes=64 * 1024, max_depth=16, max_string_length=4096),
)
PATH_ID = "6f1c2a56-3c57-4d2f-9a55-8f0a7a3f5c11"
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def call(
    method: str,
    path: bytes,
    *,
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"",
) -> tuple[int, dict[bytes, bytes], bytes]:
    """One request through the app, as uvicorn would hand it over."""
    sent: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path.decode("utf-8", "replace"),
        "raw_path": path,
        "query_string": query,
        "headers": headers or [],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }
    asyncio.run(APP(scope, receive, send))  # type: ignore[arg-type]
    start = sent[0]
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def assert_answered(status: int, headers: dict[bytes, bytes], body: bytes) -> None:
    assert status < 500, body
    if status >= 400:
        assert headers[b"content-type"] == b"application/problem+json"
        problem = json.loads(body)
        assert problem["status"] == status
        assert problem["code"]


def submit(body: bytes, content_type: bytes = b"application/json") -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    assert_answered(*call("POST", f"/v1/things/{PATH_ID}".encode(), headers=headers, body=body))


def test_a_valid_request_is_served() -> None:
    body = {
        "when": "2026-11-27T01:00:00Z",
        "lines": [{"sku": "A-1", "qty": 2}],
        "pet": {"type": "dog", "good": True},
    }
    status, _, answer = call(
        "POST",
        f"/v1/things/{PATH_ID}".encode(),
        headers=[(b"content-type", b"application/json")],
        body=json.dumps(body).encode(),
    )
    assert (status, json.loads(answer)) == (200, {"lines": 1})


@FUZZ
@given(st.binary(max_size=2048))
def test_random_bytes(body: bytes) -> None:
    submit(body)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=10), children, max_size=6)
    ),
    max_leaves=40,
)


@FUZZ
@given(st.dictionaries(st.sampled_from([*Everything.__struct_fields__, "x"]), JSON_VALUES))
def test_random_json_in_the_right_places(fields: dict[str, Any]) -> None:
    submit(json.dumps(fields).encode())


@FUZZ
@given(st.integers(min_value=1, max_value=5000), st.sampled_from(["[", '{"a":', '{"anything":[']))
def test_deep_nesting(depth: int, opener: str) -> None:
    closer = {"[": "]", '{"a":': "}", '{"anything":[': "]}"}[opener]
    submit((opener * depth + "1" + closer * depth).encode())
    submit((opener * depth).encode())


@FUZZ
@given(st.integers(min_value=1, max_value=20_000), st.sampled_from(["", "-", "0.", "1e"]))
def test_huge_numbers(digits: int, prefix: str) -> None:
    number = prefix + "9" * digits
    submit(f'{{"when":"2026-01-01T00:00:00Z","lines":[{{"sku":"A","qty":{number}}}]}}'.encode())
    submit(f'{{"anything":{number}}}'.encode())


@FUZZ
@given(st.binary(min_size=1, max_size=64))
def test_invalid_utf8_inside_strings(junk: bytes) -> None:
    submit(b'{"when":"' + junk + b'","lines":[],"labels":{"' + junk + b'":"x"}}')


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=80),
        st.sampled_from(
            [
                b"application/json; charset=latin-1",
                b"APPLICATION/JSON",
                b"application/problem+json",
                b"+json",
                b"/+json",
                b"text/json",
                b"application/json\x00",
                b";;;",
                b"",
            ]
        ),
    ),
    st.binary(max_size=200),
)
def test_odd_content_types(content_type: bytes, body: bytes) -> None:
    submit(body, content_type)


HEADER_NAMES = st.sampled_from(
    [
        b"content-type",
        b"content-length",
        b"traceparent",
        b"tracestate",
        b"baggage",
        b"x-correlation-id",
        b"idempotency-key",
        b"authorization",
        b"accord-timeout",
        b"user-agent",
        b"x-other",
    ]
)


@FUZZ
@given(st.lists(st.tuples(HEADER_NAMES, st.binary(max_size=300)), max_size=12))
def test_odd_headers(headers: list[tuple[bytes, bytes]]) -> None:
    body = b'{"when":"2026-01-01T00:00:00Z","lines":[]}'
    assert_answered(*call("POST", f"/v1/things/{PATH_ID}".encode(), headers=headers, body=body))
    assert_answered(*call("GET", b"/v1/lookup/k", headers=headers))


@FUZZ
@given(
    st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW", ""]),
    st.binary(max_size=120),
    st.binary(max_size=300),
)
def test_odd_paths_and_queries(method: str, tail: bytes, query: bytes) -> None:
    assert_answered(*call(method, b"/v1/lookup/" + tail, query=query))
    assert_answered(*call(method, b"/v1/things/" + tail, query=query))
    assert_answered(*call(method, b"/" + tail, query=query))
