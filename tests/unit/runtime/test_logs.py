"""The JSON log sink: batched writes, whole lines, stdlib records in the same format."""

from __future__ import annotations

import io
import json
import logging
import threading
import time

import pytest

from accord.observability import Telemetry
from accord.observability.logs import LineSink, escape, rfc3339


class CountingStream(io.StringIO):
    """A text stream that counts its ``write`` calls."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0
        self.writers: set[threading.Thread] = set()

    def write(self, s: str) -> int:
        self.writes += 1
        self.writers.add(threading.current_thread())
        return super().write(s)


def test_many_lines_are_written_in_one_write() -> None:
    stream = CountingStream()
    sink = LineSink(stream, interval=60)
    for i in range(100):
        sink.write(json.dumps({"n": i}).encode())
    assert stream.writes == 0
    sink.flush()
    assert stream.writes == 1
    assert [json.loads(x)["n"] for x in stream.getvalue().splitlines()] == list(range(100))
    sink.close()


def test_background_flusher_writes_without_being_asked() -> None:
    stream = CountingStream()
    sink = LineSink(stream, interval=0.02)
    sink.write(b'{"a":1}')
    deadline = time.monotonic() + 2
    while not stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stream.getvalue() == '{"a":1}\n'
    sink.close()


def test_a_full_buffer_wakes_the_flusher_and_the_caller_does_not_write() -> None:
    stream = CountingStream()
    sink = LineSink(stream, interval=60, max_bytes=1000)
    caller = threading.current_thread()
    for _ in range(10):
        sink.write(b"x" * 120)
    deadline = time.monotonic() + 5
    while stream.writes == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stream.writes == 1  # long before the 60 s interval
    assert caller not in stream.writers
    sink.close()


def test_a_full_buffer_wakes_the_flusher_once_until_it_has_run() -> None:
    stream = CountingStream()
    sink = LineSink(stream, interval=60, max_bytes=100)
    wakes: list[int] = []
    sink._wake.set = lambda: wakes.append(1)  # type: ignore[method-assign]  # a slow flusher
    for _ in range(3):  # past max_bytes, not yet four times past it
        sink.write(b"x" * 99)
    assert len(wakes) == 1 and stream.writes == 0
    sink.flush()
    sink._woken = False  # what the flusher does when it runs
    sink.write(b"x" * 99)
    sink.write(b"x" * 99)
    assert len(wakes) == 2
    sink.close()


def test_a_flusher_far_behind_makes_the_caller_write() -> None:
    stream = CountingStream()
    sink = LineSink(stream, interval=60, max_bytes=100)
    sink._wake.set = lambda: None  # type: ignore[method-assign]  # a flusher that never wakes
    for _ in range(5):
        sink.write(b"x" * 99)
    assert stream.writes == 1 and threading.current_thread() in stream.writers
    sink.close()


def test_lines_from_many_threads_are_never_torn() -> None:
    stream = io.StringIO()
    sink = LineSink(stream, interval=0.001, max_bytes=512)

    def writer(n: int) -> None:
        for i in range(500):
            sink.write(json.dumps({"thread": n, "i": i, "pad": "y" * 50}).encode())

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sink.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2000
    assert all(json.loads(line)["pad"] == "y" * 50 for line in lines)


def test_lines_written_after_close_are_not_lost() -> None:
    stream = io.StringIO()
    sink = LineSink(stream)
    sink.close()
    sink.write(b'{"late":true}')
    assert stream.getvalue() == '{"late":true}\n'


def test_rfc3339_utc_with_milliseconds() -> None:
    assert rfc3339(0.0) == "1970-01-01T00:00:00.000Z"
    assert rfc3339(1_764_197_581.25) == "2025-11-26T22:53:01.250Z"


def test_stdlib_records_become_json_lines() -> None:
    stream = io.StringIO()
    telemetry = Telemetry.configure(
        "svc", "1.0.0", log_stream=stream, environ={"OTEL_TRACES_EXPORTER": "none"}
    )
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        telemetry.capture_stdlib_logging()
        logging.getLogger("uvicorn.error").info("Started server process [%d]", 7)
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("app.module").exception("it failed")
        logging.getLogger("noisy").debug("dropped below info")
        telemetry.flush()
    finally:
        telemetry.shutdown()
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    started, failed = (json.loads(x) for x in stream.getvalue().splitlines())
    assert started["event"] == "Started server process [7]"
    assert started["logger"] == "uvicorn.error"
    assert started["level"] == "info"
    assert started["service"] == "svc"
    assert started["trace_id"] == ""
    assert failed["level"] == "error"
    assert "ValueError: boom" in failed["exception"]
    assert telemetry.logs is not None


def test_log_level_comes_from_the_environment() -> None:
    stream = io.StringIO()
    telemetry = Telemetry.configure(
        "svc",
        "1.0.0",
        log_stream=stream,
        environ={"OTEL_TRACES_EXPORTER": "none", "ACCORD_LOG_LEVEL": "warning"},
    )
    telemetry.logger.info("hidden")
    telemetry.logger.warning("shown", detail=1)
    telemetry.shutdown()
    (line,) = (json.loads(x) for x in stream.getvalue().splitlines())
    assert line["event"] == "shown"
    assert line["level"] == "warning"
    assert line["detail"] == 1


def test_unknown_log_level_is_refused() -> None:
    from accord.observability import TracingConfigError

    with pytest.raises(TracingConfigError, match="ACCORD_LOG_LEVEL"):
        Telemetry.configure("svc", "1.0.0", environ={"ACCORD_LOG_LEVEL": "loud"})


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("SKU-APPLE", "SKU-APPLE"),
        ("SKU-APPLE\n", "SKU-APPLE\\n"),
        ("a\r\nb\tc", "a\\r\\nb\\tc"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("x\x85y\u2028z\u2029", "x\\x85y\\u2028z\\u2029"),
        ("caf\u00e9 \u2014 \u65e5\u672c", "caf\u00e9 \u2014 \u65e5\u672c"),
    ],
)
def test_escape_writes_control_characters_as_their_escapes(text: str, escaped: str) -> None:
    assert escape(text) == escaped


def test_no_logged_value_splits_a_line() -> None:
    stream = io.StringIO()
    telemetry = Telemetry.configure(
        "svc", "1.0.0", log_stream=stream, environ={"OTEL_TRACES_EXPORTER": "none"}
    )
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    forged = 'x"}\n{"level":"error","event":"forged"}'
    try:
        telemetry.capture_stdlib_logging()
        telemetry.logger.info(
            "placing\u2028" + forged, sku="SKU-APPLE\n", items=[{"sku": "a\u2029b"}]
        )
        logging.getLogger("app").warning("unknown SKU %s", "SKU-APPLE\x85" + forged)
        assert telemetry.logs is not None
        telemetry.logs.request(
            trace_id="t",
            span_id="s",
            correlation_id="c",
            method="GET",
            route="unmatched",
            path="/v1/x\n" + forged,
            status=404,
            seconds=0.001,
        )
        try:
            raise ValueError("boom")
        except ValueError:
            telemetry.logger.exception("failed")
        telemetry.flush()
    finally:
        telemetry.shutdown()
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4
    placing, warned, request, failed = (json.loads(x) for x in lines)
    assert placing["event"] == "placing\\u2028" + forged.replace("\n", "\\n")
    assert placing["sku"] == "SKU-APPLE\\n"
    assert placing["items"] == [{"sku": "a\u2029b"}]  # JSON-escaped in the line, kept in the value
    assert warned["event"].startswith("unknown SKU SKU-APPLE\\x85")
    assert request["path"] == "/v1/x\\n" + forged.replace("\n", "\\n")
    assert "\n" in failed["exception"], "a traceback keeps its lines inside the JSON string"
