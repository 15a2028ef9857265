"""Spans as OTLP/JSON lines: the file format of the OpenTelemetry Collector.

Each line is one ``ExportTraceServiceRequest`` in the OTLP/JSON encoding (the Collector's
``file`` exporter writes it, its ``otlpjsonfile`` receiver reads it)::

    {"resourceSpans":[{"resource":{"attributes":[...]},
      "scopeSpans":[{"scope":{"name":"accord","version":"0.1.0"},"spans":[...]}]}]}

Ids are lower-case hex, 64-bit integers are decimal strings, enums are integers, field
names are lowerCamelCase and empty fields are left out, as the OTLP specification's JSON
mapping requires.

- :func:`encode_spans` turns SDK spans into one line (the encoder, written for speed,
  lives in :mod:`accord.observability._otlp_encoder`).
- :class:`FileSpanExporter` appends such lines to a file that several processes share.
- :func:`decode_line` reads a line back as flat :class:`SpanRecord` values.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from accord.errors import AccordError
from accord.observability._otlp_encoder import SpanEncoder

__all__ = [
    "MAX_SPANS_PER_LINE",
    "FileSpanExporter",
    "InvalidLine",
    "SpanRecord",
    "decode_line",
    "encode_spans",
]

_log = logging.getLogger(__name__)

#: A batch with more spans than this is written as several lines.
MAX_SPANS_PER_LINE = 512

_KIND_NAMES = ("UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER")
_STATUS_NAMES = ("UNSET", "OK", "ERROR")


class InvalidLine(AccordError):
    """A line of a span file is not OTLP/JSON spans."""


# --- the OTLP/JSON messages (opentelemetry-proto, trace/v1 and common/v1) ----------------
# Read leniently: integers as numbers or strings, enums as numbers or names. (Writing has
# types of its own, in the encoder module.)


class _AnyValue(msgspec.Struct, rename="camel", omit_defaults=True):
    string_value: str | None = None
    bool_value: bool | None = None
    int_value: int | str | None = None
    double_value: float | str | None = None
    bytes_value: str | None = None
    array_value: _ArrayValue | None = None
    kvlist_value: _KeyValueList | None = None


class _ArrayValue(msgspec.Struct):
    values: list[_AnyValue] = []


class _KeyValue(msgspec.Struct):
    key: str
    value: _AnyValue | None = None


class _KeyValueList(msgspec.Struct):
    values: list[_KeyValue] = []


class _Status(msgspec.Struct):
    code: int | str = 0
    message: str | msgspec.UnsetType = msgspec.UNSET


class _Event(msgspec.Struct, rename="camel", omit_defaults=True):
    time_unix_nano: int | str = 0
    name: str = ""
    attributes: list[_KeyValue] = []
    dropped_attributes_count: int = 0


class _Link(msgspec.Struct, rename="camel", omit_defaults=True):
    trace_id: str = ""
    span_id: str = ""
    trace_state: str = ""
    attributes: list[_KeyValue] = []
    dropped_attributes_count: int = 0
    flags: int = 0


class _Span(msgspec.Struct, rename="camel", omit_defaults=True):
    trace_id: str = ""
    span_id: str = ""
    trace_state: str = ""
    parent_span_id: str = ""
    flags: int = 0
    name: str = ""
    kind: int | str = 0
    start_time_unix_nano: int | str = 0
    end_time_unix_nano: int | str = 0
    attributes: list[_KeyValue] = []
    dropped_attributes_count: int = 0
    events: list[_Event] = []
    dropped_events_count: int = 0
    links: list[_Link] = []
    dropped_links_count: int = 0
    status: _Status | None = None


class _Scope(msgspec.Struct, omit_defaults=True):
    name: str = ""
    version: str = ""
    attributes: list[_KeyValue] = []


class _ScopeSpans(msgspec.Struct, rename="camel", omit_defaults=True):
    scope: _Scope | None = None
    spans: list[_Span] = []
    schema_url: str = ""


class _Resource(msgspec.Struct, omit_defaults=True):
    attributes: list[_KeyValue] = []


class _ResourceSpans(msgspec.Struct, rename="camel", omit_defaults=True):
    resource: _Resource | None = None
    scope_spans: list[_ScopeSpans] = []
    schema_url: str = ""


class _Request(msgspec.Struct, rename="camel"):
    resource_spans: list[_ResourceSpans] = []


_decoder = msgspec.json.Decoder(_Request)


# --- encoding ---------------------------------------------------------------------------

_default_encoder = SpanEncoder()


def encode_spans(spans: Sequence[ReadableSpan]) -> bytes:
    """One OTLP/JSON ``ExportTraceServiceRequest`` holding ``spans``, ending in a newline.

    Spans are grouped by resource, then by instrumentation scope, in the order first seen.
    """
    return _default_encoder.encode(spans)


# --- the exporter -----------------------------------------------------------------------


class FileSpanExporter(SpanExporter):
    """Append spans to ``path`` as OTLP/JSON lines; safe to share between processes.

    Each line goes out in one ``write`` to a file opened with ``O_APPEND``, under an
    exclusive ``flock``, so concurrent writers never tear or interleave lines. Meant to sit
    behind a ``BatchSpanProcessor``::

        exporter = FileSpanExporter(home / "telemetry" / "orders.jsonl")
        provider.add_span_processor(BatchSpanProcessor(exporter))
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._pid = 0
        self._closed = False
        self._encoder = SpanEncoder()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Write ``spans``; ``FAILURE`` (never an exception) when the file cannot be written."""
        if self._closed:
            return SpanExportResult.FAILURE
        if not spans:
            return SpanExportResult.SUCCESS
        try:
            lines = [
                self._encoder.encode(spans[i : i + MAX_SPANS_PER_LINE])
                for i in range(0, len(spans), MAX_SPANS_PER_LINE)
            ]
            with self._lock:
                fd = self._open()
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    for line in lines:
                        _write_all(fd, line)
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        except OSError as exc:
            _log.warning("cannot write spans to %s: %s", self.path, exc)
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def _open(self) -> int:
        # A forked child shares the parent's open file, and with it the parent's flock:
        # it needs a file of its own for the lock to exclude anything.
        if self._fd is not None and self._pid != os.getpid():
            self._fd = None
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
            self._fd = os.open(self.path, flags, 0o644)
            self._pid = os.getpid()
        return self._fd

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Nothing to flush: every export is written before it returns."""
        return True

    def shutdown(self) -> None:
        """Close the file; later exports fail."""
        with self._lock:
            self._closed = True
            if self._fd is not None and self._pid == os.getpid():
                with contextlib.suppress(OSError):
                    os.close(self._fd)
            self._fd = None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


# --- decoding ---------------------------------------------------------------------------


class SpanRecord(msgspec.Struct, frozen=True):
    """One span as a reader sees it: flat, with hex ids and integer nanoseconds.

    ``kind`` is ``SERVER``, ``CLIENT``, ``INTERNAL``, ``PRODUCER``, ``CONSUMER`` or
    ``UNSPECIFIED``; ``status_code`` is ``UNSET``, ``OK`` or ``ERROR``; ``service`` is the
    resource's ``service.name``.
    """

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: str
    service: str
    start_ns: int
    end_ns: int
    status_code: str = "UNSET"
    status_message: str = ""
    attributes: dict[str, Any] = {}

    @property
    def duration_ns(self) -> int:
        """End minus start, never negative."""
        return max(0, self.end_ns - self.start_ns)


def decode_line(line: bytes) -> list[SpanRecord]:
    """The spans of one OTLP/JSON line; :class:`InvalidLine` when it is not one.

    Lenient where other writers differ: ids may be hex in either case (or base64, as the
    generic protobuf JSON mapping writes them), integers may be numbers or strings, and
    enums may be numbers or their names.
    """
    try:
        request = _decoder.decode(line)
        return [
            _record(span, service)
            for rs in request.resource_spans
            for service in (_service(rs.resource),)
            for ss in rs.scope_spans
            for span in ss.spans
        ]
    except (msgspec.DecodeError, ValueError) as exc:
        raise InvalidLine(str(exc)) from None


def _service(resource: _Resource | None) -> str:
    attrs = _decode_attributes(resource.attributes) if resource else {}
    name = attrs.get("service.name")
    return name if isinstance(name, str) and name else "unknown_service"


def _record(span: _Span, service: str) -> SpanRecord:
    if not (span.trace_id and span.span_id):
        raise ValueError(f"span {span.name!r} has no traceId or spanId")
    status = span.status or _Status()
    return SpanRecord(
        trace_id=_hex_id(span.trace_id, 16, "traceId"),
        span_id=_hex_id(span.span_id, 8, "spanId"),
        parent_span_id=_hex_id(span.parent_span_id, 8, "parentSpanId") or None,
        name=span.name,
        kind=_enum(span.kind, _KIND_NAMES, "SPAN_KIND_"),
        service=service,
        start_ns=int(span.start_time_unix_nano),
        end_ns=int(span.end_time_unix_nano),
        status_code=_enum(status.code, _STATUS_NAMES, "STATUS_CODE_"),
        status_message=status.message or "",
        attributes=_decode_attributes(span.attributes),
    )


def _hex_id(value: str, size: int, field: str) -> str:
    if not value:
        return ""
    try:
        raw = (
            bytes.fromhex(value)
            if len(value) == 2 * size
            else base64.b64decode(value, validate=True)
        )
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != size:
        raise ValueError(f"{field} {value!r} is not {size} bytes of hex")
    return raw.hex()


def _enum(value: int | str, names: tuple[str, ...], prefix: str) -> str:
    if isinstance(value, int):
        return names[value] if 0 <= value < len(names) else names[0]
    name = value.upper().removeprefix(prefix)
    return name if name in names else names[0]


def _decode_attributes(items: list[_KeyValue]) -> dict[str, Any]:
    return {kv.key: _decode_value(kv.value) for kv in items}


def _decode_value(value: _AnyValue | None) -> Any:
    if value is None:
        return None
    if value.string_value is not None:
        return value.string_value
    if value.bool_value is not None:
        return value.bool_value
    if value.int_value is not None:
        return int(value.int_value)
    if value.double_value is not None:
        return float(value.double_value)
    if value.array_value is not None:
        return [_decode_value(v) for v in value.array_value.values]
    if value.kvlist_value is not None:
        return _decode_attributes(value.kvlist_value.values)
    if value.bytes_value is not None:
        return value.bytes_value
    return None
