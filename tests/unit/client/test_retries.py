"""Safe retries: which calls, on which failures, how often, how long apart, within what time."""

from __future__ import annotations

import time
from collections.abc import Iterator

import anyio
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from accord.client.outcomes import counts_against_breaker, retry_reason
from accord.client.prepared import call_deadline
from accord.errors import (
    DeadlineExceeded,
    IdempotencyKeyInUse,
    InternalError,
    RemoteError,
    Timeout,
    TransportError,
    Unavailable,
)
from accord.observability.telemetry import Telemetry
from accord.resilience import Backoff, Deadline, RetryPolicy, current_deadline, parse_timeout
from tests.unit.client.catalog import ITEM, Catalog, ItemRef, Line, OutOfStock, PlaceOrder
from tests.unit.client.conftest import Recorder

pytestmark = pytest.mark.anyio

ORDER = PlaceOrder(lines=[Line(sku="A-1", qty=1)])
PLACED = {"order_id": "o-1", "items": [{"sku": "A-1", "qty": 1}]}

#: No waiting between attempts: the tests are about which attempts happen.
NO_WAIT = RetryPolicy(backoff=Backoff(base=0.001, cap=0.001, max_attempts=3, jitter=lambda a, b: a))


def problem(status: int, code: str, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        json={"type": "about:blank", "title": code, "status": status, "code": code},
        headers={"content-type": "application/problem+json", **headers},
    )


def script(*answers: httpx.Response | type[Exception]) -> object:
    """A responder that gives ``answers`` in turn and then the last one forever."""
    queue: Iterator[httpx.Response | type[Exception]] = iter(answers)
    last: list[httpx.Response | type[Exception]] = []

    def respond(request: httpx.Request) -> httpx.Response:
        answer = next(queue, None)
        if answer is None:
            answer = last[0]
        else:
            last[:] = [answer]
        if isinstance(answer, type):
            raise answer("scripted", request=request)  # type: ignore[call-arg]
        return answer

    return respond


def catalog(transport: httpx.MockTransport, **options: object) -> Catalog:
    options.setdefault("retry", NO_WAIT)
    options.setdefault("breaker", None)
    return Catalog.client("http://catalog.test", transport=transport, **options)  # type: ignore[arg-type]


async def test_a_read_only_call_is_retried_on_503_until_it_succeeds(
    recorder: Recorder, transport: httpx.MockTransport, telemetry: Telemetry
) -> None:
    recorder.respond = script(  # type: ignore[assignment]
        problem(503, "unavailable"), problem(503, "unavailable"), httpx.Response(200, json=ITEM)
    )
    async with catalog(transport, telemetry=telemetry) as c:
        item = await c.get_item(ItemRef(sku="A-1"))
        downstream = c._core.downstream.stats()
    assert item.sku == "A-1"
    assert len(recorder.requests) == 3
    assert len({r.headers["x-correlation-id"] for r in recorder.requests}) == 1
    assert (downstream.calls, downstream.attempts, downstream.retries) == (1, 3, 2)
    registry = telemetry.metrics.registry
    labels = {"downstream": "catalog", "operation": "get_item"}
    assert registry.get_sample_value("accord_client_calls_total", labels) == 1
    assert registry.get_sample_value("accord_client_attempts_total", labels) == 3
    assert (
        registry.get_sample_value(
            "accord_client_retries_total", {**labels, "reason": "unavailable"}
        )
        == 2
    )


async def test_attempts_are_capped(recorder: Recorder, transport: httpx.MockTransport) -> None:
    recorder.respond = lambda _: problem(503, "unavailable")
    async with catalog(transport) as c:
        with pytest.raises(Unavailable):
            await c.get_item(ItemRef(sku="A-1"))
    assert len(recorder.requests) == 3


async def test_a_keyed_call_is_retried_with_the_same_key(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = script(  # type: ignore[assignment]
        problem(503, "unavailable"), httpx.ReadError, httpx.Response(201, json=PLACED)
    )
    async with catalog(transport) as c:
        placed = await c.place(ORDER)
    assert placed.order_id == "o-1"
    keys = [r.headers["idempotency-key"] for r in recorder.requests]
    assert len(keys) == 3
    assert len(set(keys)) == 1


@pytest.mark.parametrize(
    "answer",
    [
        problem(500, "internal"),
        problem(502, "http_502"),
        problem(409, "catalog.out_of_stock"),
        problem(422, "validation_failed"),
        httpx.Response(200, text="not json"),
    ],
    ids=["500", "502", "declared-409", "422", "broken-2xx"],
)
async def test_answers_that_are_not_retryable_are_not_retried(
    recorder: Recorder, transport: httpx.MockTransport, answer: httpx.Response
) -> None:
    recorder.respond = lambda _: answer
    async with catalog(transport) as c:
        with pytest.raises(Exception):
            await c.get_item(ItemRef(sku="A-1"))
    assert len(recorder.requests) == 1


async def test_429_and_declared_retryable_codes_are_retried(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = script(  # type: ignore[assignment]
        problem(429, "rate_limited"),
        problem(409, "idempotency_key_in_use"),
        httpx.Response(201, json=PLACED),
    )
    async with catalog(transport) as c:
        await c.place(ORDER)
    assert len(recorder.requests) == 3


async def test_extra_codes_come_from_the_policy(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = script(problem(409, "catalog.out_of_stock"), httpx.Response(200, json=ITEM))  # type: ignore[assignment]
    policy = RetryPolicy(backoff=NO_WAIT.backoff, codes=frozenset({"catalog.out_of_stock"}))
    async with catalog(transport, retry=policy) as c:
        await c.get_item(ItemRef(sku="A-1"))
    assert len(recorder.requests) == 2


async def test_retry_none_sends_once(recorder: Recorder, transport: httpx.MockTransport) -> None:
    recorder.respond = lambda _: problem(503, "unavailable")
    async with catalog(transport, retry=None) as c:
        with pytest.raises(Unavailable):
            await c.get_item(ItemRef(sku="A-1"))
    assert len(recorder.requests) == 1


async def test_a_refused_connection_is_retried_and_a_timeout_is_not(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = script(httpx.ConnectError, httpx.Response(200, json=ITEM))  # type: ignore[assignment]
    async with catalog(transport) as c:
        await c.get_item(ItemRef(sku="A-1"))
        assert len(recorder.requests) == 2
        recorder.respond = script(httpx.ReadTimeout)  # type: ignore[assignment]
        with pytest.raises(Timeout):
            await c.get_item(ItemRef(sku="A-1"))
    assert len(recorder.requests) == 3


def test_an_unsafe_call_is_retried_only_when_it_was_never_sent() -> None:
    """A call without a key that may have reached the server is never sent again."""
    request = httpx.Request("POST", "http://catalog.test/v1/orders")
    refused = TransportError("refused")
    refused.__cause__ = httpx.ConnectError("refused", request=request)
    lost = TransportError("lost")
    lost.__cause__ = httpx.ReadError("reset", request=request)
    policy = RetryPolicy()
    assert retry_reason(refused, policy, safe=False) == "connect"
    assert retry_reason(lost, policy, safe=False) is None
    assert retry_reason(lost, policy, safe=True) == "transport"
    assert retry_reason(Unavailable(), policy, safe=False) is None
    assert retry_reason(Unavailable(), policy, safe=True) == "unavailable"
    assert retry_reason(IdempotencyKeyInUse(), policy, safe=True) == "idempotency_key_in_use"
    assert retry_reason(InternalError(), policy, safe=True) is None
    assert retry_reason(RemoteError(503, {"code": "http_503"}), policy, safe=True) == "http_503"
    assert retry_reason(Timeout("late"), policy, safe=True) is None
    assert counts_against_breaker(InternalError())
    assert counts_against_breaker(lost)
    assert not counts_against_breaker(OutOfStock())


async def test_retry_after_is_a_floor_on_the_wait(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    stamps: list[float] = []

    def respond(request: httpx.Request) -> httpx.Response:
        stamps.append(time.monotonic())
        if len(stamps) == 1:
            return problem(503, "unavailable", **{"retry-after": "1"})
        return httpx.Response(200, json=ITEM)

    recorder.respond = respond
    async with catalog(transport, timeout=3.0) as c:
        await c.get_item(ItemRef(sku="A-1"))
    assert stamps[1] - stamps[0] >= 1.0


async def test_a_retry_after_beyond_the_deadline_ends_the_retries_at_once(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: problem(503, "unavailable", **{"retry-after": "5"})
    async with catalog(transport, timeout=2.0) as c:
        started = time.monotonic()
        with pytest.raises(Unavailable):
            await c.get_item(ItemRef(sku="A-1"))
    # Waiting for the Retry-After would take 5 s, outliving the 2 s deadline: it must not.
    assert time.monotonic() - started < 2.0
    assert len(recorder.requests) == 1


async def test_backoff_never_outlives_the_deadline(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: problem(503, "unavailable")
    slow = RetryPolicy(backoff=Backoff(base=0.2, cap=0.2, max_attempts=10, jitter=lambda a, b: b))
    async with catalog(transport, retry=slow, timeout=0.5) as c:
        started = time.monotonic()
        with pytest.raises(Unavailable):
            await c.get_item(ItemRef(sku="A-1"))
        elapsed = time.monotonic() - started
    # Ten attempts 0.2 s apart would take 1.8 s; the 0.5 s deadline cuts them short. The
    # bound is loose so that a busy machine cannot fail it; the count below is the point.
    assert elapsed < 1.5
    assert 2 <= len(recorder.requests) <= 3  # at 0, 0.2 and 0.4 s; a fourth would start at 0.6


async def test_the_remaining_time_travels_with_every_attempt(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = script(  # type: ignore[assignment]
        problem(503, "unavailable"), problem(503, "unavailable"), httpx.Response(200, json=ITEM)
    )
    spaced = RetryPolicy(
        backoff=Backoff(base=0.05, cap=0.05, max_attempts=3, jitter=lambda a, b: b)
    )
    async with catalog(transport, retry=spaced, timeout=1.5) as c:
        await c.get_item(ItemRef(sku="A-1"))
    sent = [parse_timeout(r.headers["accord-timeout"]) for r in recorder.requests]
    assert 1.4 < sent[0] <= 1.5
    assert sent[0] - sent[1] >= 0.05
    assert sent[1] - sent[2] >= 0.05


async def test_the_served_requests_deadline_bounds_the_call(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(200, json=ITEM)
    token = current_deadline.set(Deadline.after(0.3))
    try:
        async with catalog(transport) as c:  # the operation alone would give 5 s
            await c.get_item(ItemRef(sku="A-1"))
    finally:
        current_deadline.reset(token)
    assert 0.0 < parse_timeout(recorder.last.headers["accord-timeout"]) <= 0.3


async def test_an_expired_deadline_sends_nothing(
    recorder: Recorder, transport: httpx.MockTransport, telemetry: Telemetry
) -> None:
    token = current_deadline.set(Deadline.after(-1.0))
    try:
        async with catalog(transport, telemetry=telemetry) as c:
            with pytest.raises(DeadlineExceeded, match=r"catalog\.get_item: the deadline passed"):
                await c.get_item(ItemRef(sku="A-1"))
            assert c._core.downstream.stats().deadline_exceeded == 1
    finally:
        current_deadline.reset(token)
    assert recorder.requests == []
    assert (
        telemetry.metrics.registry.get_sample_value(
            "accord_client_deadline_exceeded_total", {"downstream": "catalog"}
        )
        == 1
    )


async def test_no_deadline_sends_no_timeout_header(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(200, json=ITEM)
    async with catalog(transport, timeout=None) as c:
        await c.get_item(ItemRef(sku="A-1"), headers={"accord-timeout": "1S"})
    assert "accord-timeout" not in recorder.last.headers


async def test_the_budget_stops_retries_when_everything_fails(
    recorder: Recorder, transport: httpx.MockTransport, telemetry: Telemetry
) -> None:
    recorder.respond = lambda _: problem(503, "unavailable")
    async with catalog(transport, telemetry=telemetry) as c:
        for _ in range(100):
            with pytest.raises(Unavailable):
                await c.get_item(ItemRef(sku="A-1"))
        figures = c._core.downstream.stats()
    assert figures.calls == 100
    assert figures.amplification <= 1.2
    assert figures.attempts == len(recorder.requests)
    assert figures.budget_exhausted >= 1
    assert (
        telemetry.metrics.registry.get_sample_value(
            "accord_client_retry_budget_exhausted_total", {"downstream": "catalog"}
        )
        == figures.budget_exhausted
    )


async def test_clients_of_one_downstream_share_its_budget(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: problem(503, "unavailable")
    first, second = catalog(transport), catalog(transport)
    async with first, second:
        assert first._core.downstream is second._core.downstream
        for _ in range(5):
            with pytest.raises(Unavailable):
                await first.get_item(ItemRef(sku="A-1"))
        before = len(recorder.requests)
        with pytest.raises(Unavailable):
            await second.get_item(ItemRef(sku="A-1"))
    assert len(recorder.requests) - before == 1  # the first client spent the budget


@given(
    bound=st.one_of(st.none(), st.floats(min_value=0.001, max_value=1e6)),
    ambient_in=st.one_of(st.none(), st.floats(min_value=-10.0, max_value=1e6)),
    now=st.floats(min_value=0.0, max_value=1e9),
)
def test_a_calls_deadline_is_the_earliest_of_its_bound_and_the_served_requests(
    bound: float | None, ambient_in: float | None, now: float
) -> None:
    clock = lambda: now  # noqa: E731 - a frozen clock
    ambient = None if ambient_in is None else Deadline(now + ambient_in, clock)
    deadline, limit = call_deadline(bound, ambient, clock=clock)
    candidates = [t for t in (bound, ambient_in) if t is not None]
    if not candidates:
        assert (deadline, limit) == (None, None)
        return
    assert deadline is not None and limit is not None
    earliest = min(candidates)
    assert deadline.at == pytest.approx(now + earliest, abs=1e-6)
    assert limit == pytest.approx(max(0.0, earliest), abs=1e-6)
    assert deadline.remaining() == pytest.approx(max(0.0, earliest), abs=1e-6)


async def test_running_out_of_the_served_requests_time_is_deadline_exceeded(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    async def hang(_: httpx.Request) -> httpx.Response:
        await anyio.sleep(5)
        raise AssertionError("unreachable")

    recorder.respond = hang
    async with catalog(transport) as c:
        token = current_deadline.set(Deadline.after(0.1))
        try:
            with pytest.raises(DeadlineExceeded, match="left to the request being served"):
                await c.get_item(ItemRef(sku="A-1"))
        finally:
            current_deadline.reset(token)
        token = current_deadline.set(Deadline.after(1.0))
        try:
            with pytest.raises(Timeout, match=r"within 0\.05s"):  # its own, shorter bound
                await c.get_item(ItemRef(sku="A-1"), timeout=0.05)
        finally:
            current_deadline.reset(token)


ANSWERS: dict[str, object] = {
    "ok": lambda _: httpx.Response(201, json=PLACED),
    "503": lambda _: problem(503, "unavailable"),
    "429": lambda _: problem(429, "rate_limited"),
    "500": lambda _: problem(500, "internal"),
    "refused": httpx.ConnectError,
    "reset": httpx.ReadError,
}


@settings(max_examples=60, deadline=None)
@given(
    script=st.lists(st.sampled_from(sorted(ANSWERS)), min_size=1, max_size=6),
    keyed=st.booleans(),
    max_attempts=st.integers(min_value=1, max_value=4),
)
def test_the_retry_loop_keeps_its_promises(
    script: list[str], keyed: bool, max_attempts: int
) -> None:
    """For any run of answers: attempts are capped, an unsafe call is sent again only when
    nothing was sent, a retry happens whenever one is allowed, and the call returns exactly
    when an attempt it made succeeded."""
    answers = iter(script)
    seen: list[str] = []

    def respond(request: httpx.Request) -> httpx.Response:
        answer = next(answers, script[-1])
        seen.append(answer)
        make = ANSWERS[answer]
        if isinstance(make, type):
            raise make(answer, request=request)
        return make(request)  # type: ignore[operator,no-any-return]

    policy = RetryPolicy(
        backoff=Backoff(base=0.001, cap=0.001, max_attempts=max_attempts, jitter=lambda a, b: a)
    )

    async def main() -> bool:
        transport = httpx.MockTransport(respond)
        async with catalog(transport, retry=policy) as c:
            try:
                await c.place(ORDER, idempotency_key="k-1" if keyed else None)
            except Exception:
                return False
            return True

    import accord.client.core as core

    original = core.idempotency_key_for
    if not keyed:
        core.idempotency_key_for = lambda *_: None  # type: ignore[assignment]
    try:
        succeeded = anyio.run(main)
    finally:
        core.idempotency_key_for = original
    assert 1 <= len(seen) <= max_attempts
    assert succeeded == (seen[-1] == "ok")
    assert "ok" not in seen[:-1]
    retryable = {"503", "429", "refused", "reset"} if keyed else {"refused"}
    for earlier in seen[:-1]:
        assert earlier in retryable
    # And it does retry when it may: it stops only on success, on an answer it may not
    # retry, or with its attempts spent. A client that never retries fails here.
    assert seen[-1] == "ok" or seen[-1] not in retryable or len(seen) == max_attempts, seen


async def test_each_attempt_is_a_client_span_with_its_resend_count(
    recorder: Recorder,
    transport: httpx.MockTransport,
    telemetry: Telemetry,
    exporter: InMemorySpanExporter,
) -> None:
    recorder.respond = script(  # type: ignore[assignment]
        problem(503, "unavailable"), problem(503, "unavailable"), httpx.Response(200, json=ITEM)
    )
    async with catalog(transport, telemetry=telemetry) as c:
        with telemetry.tracer.start_as_current_span("caller") as caller:
            await c.get_item(ItemRef(sku="A-1"))
    spans = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.CLIENT]
    assert [(s.attributes or {}).get("http.request.resend_count") for s in spans] == [None, 1, 2]
    assert {s.parent.span_id for s in spans if s.parent} == {caller.get_span_context().span_id}
    sent = [r.headers["traceparent"].split("-")[2] for r in recorder.requests]
    assert sent == [format(s.context.span_id, "016x") for s in spans]
    logged = [f["attempt"] for _, e, f in telemetry.logger.records if e == "client_call_failed"]
    assert logged == [1, 2]
