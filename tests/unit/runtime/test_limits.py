"""Limits on a request's head and on the JSON in its body, each a problem+json answer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord import Contract, operation
from accord.errors import ContractError, ValidationFailed
from accord.runtime import App
from accord.runtime.limits import _STRING, BodyLimits, Limits, _neutral, _too_deep
from tests.unit.runtime.conftest import call_raw

pytestmark = pytest.mark.anyio


class Doc(msgspec.Struct):
    title: str = ""
    values: list[int] = []
    tags: dict[str, str] = {}
    blob: Annotated[str, msgspec.Meta(max_length=100)] = ""
    rows: Annotated[list[int], msgspec.Meta(max_length=20)] = []
    extra: Any = None


class Saved(msgspec.Struct):
    size: int


class Docs(Contract, name="docs", version="1.0.0"):
    """Documents of any shape."""

    save = operation(Doc, Saved, method="POST", path="/docs")


class DocsService:
    async def save(self, request: Doc) -> Saved:
        return Saved(size=len(request.title) + len(request.values) + len(request.blob))


LIMITS = Limits(
    max_depth=4,
    max_string_length=16,
    max_array_length=8,
    max_header_count=12,
    max_header_bytes=512,
    max_target_bytes=64,
)


@pytest.fixture
def app() -> App:
    return App(Docs, DocsService(), limits=LIMITS, freeze_gc=False)


@pytest.fixture
async def client(app: App) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://docs.test") as c:
        yield c


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["status"] == status
    return body


def paths(body: dict[str, Any]) -> list[str]:
    return [e["path"] for e in body["errors"]]


async def test_a_body_within_every_limit_is_served(client: httpx.AsyncClient) -> None:
    doc = {"title": "t" * 16, "values": list(range(8)), "extra": [[{"a": 1}]]}
    response = await client.post("/v1/docs", json=doc)
    assert response.status_code == 200, response.text
    assert response.json() == {"size": 24}


async def test_nesting_past_the_depth_is_422_before_decoding(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/docs", json={"extra": [[[{"a": 1}]]]})
    body = problem(response, 422, "validation_failed")
    assert "deeper than 4" in body["detail"]
    assert paths(body) == ["$"]


async def test_brackets_inside_strings_do_not_count_as_depth(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/docs", json={"title": '[[[[[{"\\'})
    assert response.status_code == 200, response.text


async def test_a_deep_body_with_default_limits_is_422_not_a_crash() -> None:
    app = App(Docs, DocsService(), freeze_gc=False)
    body = b'{"extra":' + b"[" * 5000 + b"]" * 5000 + b"}"
    result = await call_raw(
        app,
        "POST",
        "/v1/docs",
        headers=[(b"content-type", b"application/json")],
        chunks=[body],
    )
    assert result.status == 422
    assert "deeper than 32" in result.json()["detail"]


async def test_an_unclosed_deep_body_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/docs", content=b'{"extra":' + b"[" * 3000, headers={"content-type": "application/json"}
    )
    problem(response, 422, "validation_failed")


async def test_a_long_string_is_422_with_its_path(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/docs", json={"title": "x" * 17, "values": [1]})
    body = problem(response, 422, "validation_failed")
    assert paths(body) == ["$.title"]
    assert "17 characters; the limit is 16" in body["detail"]


async def test_a_long_string_deep_inside_is_named_by_its_path(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/docs", json={"extra": [{"k": "ok"}, {"k": "y" * 40}]})
    body = problem(response, 422, "validation_failed")
    assert paths(body) == ["$.extra[1].k"]


async def test_a_long_key_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/docs", json={"tags": {"k" * 30: "v"}})
    body = problem(response, 422, "validation_failed")
    assert paths(body) == ["$.tags"]


async def test_a_long_array_is_422_with_its_path(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/docs", json={"values": list(range(9))})
    body = problem(response, 422, "validation_failed")
    assert paths(body) == ["$.values"]
    assert "9 items; the limit is 8" in body["detail"]


async def test_a_declared_max_length_replaces_the_default(client: httpx.AsyncClient) -> None:
    fine = await client.post("/v1/docs", json={"blob": "b" * 100, "rows": list(range(20))})
    assert fine.status_code == 200, fine.text
    over = await client.post("/v1/docs", json={"blob": "b" * 101})
    body = problem(over, 422, "validation_failed")
    assert paths(body) == ["$.blob"]
    assert "length <= 100" in body["detail"]


async def test_too_many_headers_is_431(client: httpx.AsyncClient) -> None:
    headers = {f"x-h{i}": "v" for i in range(13)}
    response = await client.post("/v1/docs", json={}, headers=headers)
    body = problem(response, 431, "headers_too_large")
    assert "header fields; the limit is 12" in body["detail"]


async def test_header_bytes_past_the_limit_is_431(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/docs", json={}, headers={"x-big": "v" * 600})
    body = problem(response, 431, "headers_too_large")
    assert "the limit is 512" in body["detail"]


async def test_a_long_path_or_query_is_431(client: httpx.AsyncClient) -> None:
    long_path = await client.get("/v1/" + "p" * 80)
    assert "path and query" in problem(long_path, 431, "headers_too_large")["detail"]
    long_query = await client.post("/v1/docs?" + "q=1&" * 20, json={})
    problem(long_query, 431, "headers_too_large")


async def test_the_head_is_checked_before_the_route(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere", headers={"x-big": "v" * 600})
    problem(response, 431, "headers_too_large")


async def test_max_body_bytes_on_the_app_replaces_the_limit() -> None:
    app = App(Docs, DocsService(), limits=LIMITS, max_body_bytes=10, freeze_gc=False)
    assert app.limits.max_body_bytes == 10
    assert app.limits.max_depth == 4
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://docs.test"
    ) as c:
        response = await c.post("/v1/docs", content=json.dumps({"title": "0123456789"}))
    assert response.status_code == 413


def test_limits_refuse_nonsense() -> None:
    with pytest.raises(ContractError, match="max_depth"):
        Limits(max_depth=0)
    with pytest.raises(ContractError, match="max_body_bytes"):
        Limits(max_body_bytes=-1)


@pytest.mark.parametrize(
    ("body", "deep"),
    [
        (b"[]", False),
        (b"[[[]]]", False),
        (b"[[[[]]]]", True),
        (b'[{"a":[{}]}]', True),
        (b"[[],[],[],[]]", False),
        (b'["[[[[[[", "\\"[[[[["]', False),
        (b'["\\\\", [[["\\\\\\"]]]]', True),
        (b'["\\\\", [["\\\\\\"]]]', False),
        (b"[[[[", True),
        (b"]]]][[", False),
        (b'{"a":[[1,2],[3]],"b":{"c":{}}}', False),
    ],
)
def test_depth_scan(body: bytes, deep: bool) -> None:
    assert _too_deep(_STRING.sub(b"", _neutral(body)), 3) is deep


def test_body_limits_check_small_bodies_by_depth_only() -> None:
    limits = BodyLimits(Limits(max_depth=2, max_string_length=3, max_array_length=2))
    limits.check(b'{"a":"abc"}')
    with pytest.raises(ValidationFailed, match=r"at \$\.a"):
        limits.check(b'{"a":"abcd"}')
    with pytest.raises(ValidationFailed, match="3 items"):
        limits.check(b"[1,2,3]")
    limits.check(b"not json at all, not checked here")


async def test_a_path_past_the_limit_is_not_echoed_whole() -> None:
    app = App(Docs, DocsService(), limits=Limits(max_target_bytes=100_000), freeze_gc=False)
    long_path = "/v1/" + "p" * 20_000
    result = await call_raw(app, "GET", long_path)
    assert result.status == 404
    assert len(result.json()["instance"]) == 8 * 1024


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (b'{"a":[[1],[2],[3],[4]]}', "$.a"),
        (b'{"a":[{"b":[1,2,3,4]}]}', "$.a[0].b"),
        (b'[1,2,{"x":"y"},[4]]', "$"),
        (b'{"a":1,"b":2,"c":3,"d":4,"e":[1,2,3]}', None),
        (b'["a,b,c,d,e,f,g"]', None),
        (b'{"k":"[1,2,3,4,5,6]"}', None),
    ],
)
def test_arrays_are_counted_at_their_own_level(body: bytes, path: str | None) -> None:
    limits = BodyLimits(Limits(max_array_length=3))
    if path is None:
        limits.check(body)
        return
    with pytest.raises(ValidationFailed) as caught:
        limits.check(body)
    assert caught.value.info is not None
    assert caught.value.info.errors[0].path == path


def test_a_long_string_after_escapes_is_found() -> None:
    limits = BodyLimits(Limits(max_string_length=8))
    limits.check(b'{"a":"\\"\\"\\"\\"\\"\\"\\"\\""}')  # eight quotes, escaped: 8 characters
    with pytest.raises(ValidationFailed, match="9 characters"):
        limits.check(b'{"a":"\\"\\"\\"\\"\\"\\"\\"\\"\\""}')


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _longest(value: Any) -> tuple[int, int]:
    """(longest string or key, longest array) anywhere in ``value``."""
    if isinstance(value, str):
        return len(value), 0
    if isinstance(value, list):
        inner = [_longest(v) for v in value]
        return max((s for s, _ in inner), default=0), max([len(value), *(a for _, a in inner)])
    if isinstance(value, dict):
        inner = [_longest(v) for v in value.values()]
        keys = max((len(k) for k in value), default=0)
        return max([keys, *(s for s, _ in inner)]), max((a for _, a in inner), default=0)
    return 0, 0


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT | st.sampled_from(['"', "\\", '\\"', "[{,"]),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(VALUES, st.booleans())
def test_the_scans_agree_with_a_plain_walk(value: Any, ascii_only: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode()
    limits = BodyLimits(Limits(max_depth=3, max_string_length=5, max_array_length=3))
    longest_string, longest_array = _longest(value)
    over = _depth(value) > 3 or longest_string > 5 or longest_array > 3
    try:
        limits.check(body)
    except ValidationFailed:
        assert over, body
    else:
        assert not over, body


@pytest.mark.parametrize("path", ["/livez", "/readyz", "/metrics", "/openapi.json"])
async def test_probes_and_documents_answer_431_too(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers={"x-big": "v" * 600})
    problem(response, 431, "headers_too_large")


def test_serve_bounds_the_head_and_hides_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from accord.runtime import server

    seen: list[uvicorn.Config] = []
    monkeypatch.setattr(server._DrainingServer, "run", lambda self: seen.append(self.config))
    app = App(Docs, DocsService(), freeze_gc=False)
    monkeypatch.setattr(app.telemetry, "capture_stdlib_logging", lambda: None)
    server.serve(app, port=1)
    (config,) = seen
    assert config.h11_max_incomplete_event_size == 64 * 1024
    assert config.server_header is False
