"""Structured JSON logs: one line per event, buffered, written by a background flusher.

Every line carries the same fields, whoever writes it (the runtime's request lines, the
application's structlog logger, or stdlib ``logging`` from uvicorn and libraries)::

    {"ts": "2026-11-26T22:53:01.123Z", "level": "info", "event": "request",
     "service": "orders", "version": "1.2.0", "trace_id": "0af7…", "span_id": "b7ad…",
     "correlation_id": "…", ...}

Writing a line appends it to an in-memory buffer; a flusher thread writes the whole
buffer with one ``write`` every ``interval`` seconds, or at once when it passes
``max_bytes``. A line is always written whole.

Secrets never reach a line: before the structlog logger renders an event, every value
under a secret key, at any depth (dicts, lists, structs), becomes ``"[redacted]"``
(:func:`redact`). A key is secret when a contract marks a field of that name
:data:`~accord.contract.Secret` (the app registers them with :func:`mark_secret`), or
when its name says so (``password``, ``authorization``, ``cookie``, ``card_token``,
``api_key``, ``client_secret``…: see :func:`is_secret`). Text is scrubbed too: in a
message or an exception's traceback, whatever has the shape of a bearer credential (a
JWT, ``Bearer <token>``) becomes ``[redacted]`` (:func:`scrub`).

No value can split a line, or forge one: a string field's control characters (a newline
in a SKU a client sent, an escape sequence for a terminal, U+2028) are written as their
escapes, ``\\n``, ``\\x1b``, ``\\u2028`` (:func:`escape`), so that a reader who decodes
the JSON and prints a value (``accord up`` does) still prints one line. A traceback keeps
its newlines, which JSON escapes. JSON leaves U+2028, U+2029 and U+0085 raw inside nested
strings, and ``str.splitlines`` breaks lines at them: the sink writes those as JSON
escapes too.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping, MutableMapping
from typing import IO, Any

import msgspec
import structlog
from opentelemetry import trace

from accord.contract.secrets import secret_fields
from accord.observability.context import correlation_id

__all__ = [
    "LEVELS",
    "REDACTED",
    "JsonLogs",
    "LineSink",
    "RequestLine",
    "StdlibBridge",
    "escape",
    "is_secret",
    "mark_secret",
    "redact",
    "rfc3339",
    "scrub",
]

#: Level names accepted by ``ACCORD_LOG_LEVEL``, mapped to stdlib numbers.
LEVELS: Mapping[str, int] = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}

_encode = msgspec.json.Encoder(enc_hook=str).encode

#: What a secret value is replaced with.
REDACTED = "[redacted]"

# Words that make a key secret wherever they stand between underscores (``card_token``,
# ``x_api_key``, ``set_cookie``); a dotted key is judged by its last part
# (``http.request.header.authorization``).
_SECRET_WORDS = re.compile(
    r"(?:^|_)(?:password|passwd|passphrase|secret|token|authorization|cookie|api_?key|"
    r"cvv|cvc|pan|card_number|private_key)(?:_|$)"
)
_marked: set[str] = set()
_verdicts: dict[str, bool] = {}
#: Callables run whenever keys are marked secret: caches of verdicts forget them.
_on_mark: list[Callable[[], None]] = []


def mark_secret(*names: str) -> None:
    """Treat keys named ``names`` (exactly, as on the wire) as secret from now on."""
    _marked.update(names)
    _verdicts.clear()
    for forget in _on_mark:
        forget()


def is_secret(key: str) -> bool:
    """Whether values under ``key`` are secret (marked, or named like a secret)."""
    verdict = _verdicts.get(key)
    if verdict is None:
        last = key.rsplit(".", 1)[-1]
        verdict = (
            key in _marked
            or last in _marked
            or _SECRET_WORDS.search(last.lower().replace("-", "_")) is not None
        )
        if len(_verdicts) < 4096:
            _verdicts[key] = verdict
    return verdict


def redact(value: Any) -> Any:
    """``value`` with every value under a secret key replaced by :data:`REDACTED`.

    Dicts, lists, tuples and ``msgspec.Struct`` values (their fields marked
    :data:`~accord.contract.Secret` included) are copied as they are redacted; anything
    else comes back as it is.
    """
    if isinstance(value, dict):
        return {
            k: REDACTED if isinstance(k, str) and is_secret(k) else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, msgspec.Struct):
        marked = secret_fields(type(value))
        if marked - _marked:
            mark_secret(*marked)
        return redact(msgspec.to_builtins(value, enc_hook=str))
    return value


# A JWT (three base64url parts, the first two JSON objects), or a bearer credential.
_CREDENTIAL = re.compile(
    r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"
    r"|(?i:\bbearer)\s+[A-Za-z0-9._~+/-]{8,}=*"
)


def scrub(text: str) -> str:
    """``text`` with every JWT and ``Bearer <token>`` in it replaced by :data:`REDACTED`."""
    if "eyJ" not in text and "earer" not in text and "EARER" not in text:
        return text
    return _CREDENTIAL.sub(REDACTED, text)


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_MULTILINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    short = _SHORT.get(char)
    if short is not None:
        return short
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str) -> str:
    """``text`` with every control character written as its escape (``\\n``, ``\\x1b``).

    C0 and C1 controls, DEL, and the line and paragraph separators U+2028 and U+2029
    are escaped; text without them (nearly all) comes back as it is, after one
    ``str.isprintable`` call.
    """
    if text.isprintable():
        return text
    return _CONTROL.sub(_escaped, text)


def _escape_keeping_lines(text: str) -> str:
    """:func:`escape` for a traceback: its newlines and tabs stay (JSON escapes them)."""
    return _MULTILINE.sub(_escaped, text)


#: Multi-line fields: what they hold is rendered here, not sent by a client.
_MULTILINE_KEYS = frozenset({"exception", "stack"})


def _scrub_text(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> Any:
    """structlog processor, after the traceback is rendered: :func:`scrub` and
    :func:`escape` every string."""
    for key, value in event_dict.items():
        if type(value) is str:
            value = scrub(value)
            if key in _MULTILINE_KEYS:
                event_dict[key] = _escape_keeping_lines(value)
            else:
                event_dict[key] = escape(value)
    return event_dict


# What JSON leaves raw inside a string but ``str.splitlines`` takes for a line break.
_RAW_BREAKS = re.compile(b"\xc2\x85|\xe2\x80[\xa8\xa9]")
_BREAK_ESCAPES = {b"\xc2\x85": b"\\u0085", b"\xe2\x80\xa8": b"\\u2028", b"\xe2\x80\xa9": b"\\u2029"}


def _one_line(line: bytes) -> bytes:
    """``line`` (UTF-8 JSON) with no byte sequence any reader could split it at."""
    if b"\n" in line or b"\r" in line:
        line = line.replace(b"\n", b"\\n").replace(b"\r", b"\\r")
    return _RAW_BREAKS.sub(lambda m: _BREAK_ESCAPES[m.group()], line)


def _redact_event(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> Any:
    """structlog processor: :func:`redact` every field of the event."""
    for key, value in event_dict.items():
        if is_secret(key):
            event_dict[key] = REDACTED
        elif isinstance(value, dict | list | tuple | msgspec.Struct):
            event_dict[key] = redact(value)
    return event_dict


class LineSink:
    """Collects whole lines and writes them to ``stream`` in batches.

    ``write`` does not block on I/O: a daemon thread writes every ``interval`` seconds,
    or as soon as the buffer passes ``max_bytes``. ``close`` flushes what is left.
    """

    def __init__(
        self, stream: IO[str] | None = None, *, interval: float = 0.05, max_bytes: int = 1 << 16
    ) -> None:
        self._stream = stream if stream is not None else sys.stdout
        self._interval = interval
        self._max_bytes = max_bytes
        self._lines: list[bytes] = []
        self._size = 0
        self._lock = threading.Lock()
        self._io_lock = threading.Lock()
        self._stop = threading.Event()
        self._closed = False  # read on every write: cheaper than the event
        self._wake = threading.Event()
        self._woken = False
        self._thread: threading.Thread | None = None

    def write(self, line: bytes) -> None:
        """Queue one line (without its newline); after :meth:`close`, write it at once.

        Past ``max_bytes`` the flusher is woken to write (once, not by every line until
        it runs: waking it takes a lock and its condition); only when it has fallen four
        times behind does the caller write itself, so memory stays bounded.
        """
        if b"\xe2\x80" in line or b"\xc2\x85" in line or b"\n" in line:
            line = _one_line(line)
        with self._lock:
            self._lines.append(line)
            size = self._size = self._size + len(line) + 1
            if self._thread is None and not self._closed:
                self._start()
        if size < self._max_bytes and not self._closed:
            return
        if self._closed or size >= self._max_bytes << 2:
            self.flush()
        elif not self._woken:
            self._woken = True
            self._wake.set()

    def _start(self) -> None:
        thread = threading.Thread(target=self._run, name="accord-log-flusher", daemon=True)
        self._thread = thread
        thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            self._woken = False
            self.flush()

    def flush(self) -> None:
        """Write every queued line now, in one ``write``."""
        with self._io_lock:
            with self._lock:
                lines, self._lines, self._size = self._lines, [], 0
            if not lines:
                return
            lines.append(b"")
            data = b"\n".join(lines)
            with contextlib.suppress(ValueError, OSError):  # a closed stream loses the lines
                buffer = getattr(self._stream, "buffer", None)
                if buffer is not None:
                    self._stream.flush()
                    buffer.write(data)
                    buffer.flush()
                else:
                    self._stream.write(data.decode("utf-8", "replace"))
                    self._stream.flush()

    def close(self) -> None:
        """Stop the flusher and write what is left."""
        self._closed = True
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=1.0)
        self.flush()


class _Clock:
    """RFC 3339 UTC timestamps with milliseconds, formatted once per millisecond."""

    __slots__ = ("_last", "_milli", "_prefix", "_second")

    def __init__(self) -> None:
        self._milli = self._second = -1
        self._prefix = self._last = ""

    def format(self, t: float) -> str:
        milli = int(t * 1000)
        if milli == self._milli:
            return self._last
        second = milli // 1000
        if second != self._second:
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        self._last = f"{self._prefix}.{milli - second * 1000:03d}Z"
        self._milli = milli
        return self._last


_clock = _Clock()


def rfc3339(t: float | None = None) -> str:
    """``t`` (seconds since the epoch, default now) as ``2026-11-26T22:53:01.123Z``."""
    return _clock.format(time.time() if t is None else t)


def _current_ids() -> tuple[str, str]:
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return "", ""
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


class RequestLine(msgspec.Struct, omit_defaults=True):
    """The line the runtime writes for every request it answers."""

    ts: str
    level: str
    event: str
    service: str
    version: str
    trace_id: str
    span_id: str
    correlation_id: str
    method: str
    route: str
    path: str
    status: int
    duration_ms: float
    code: str | None = None


class _SinkLogger:
    """structlog's final logger: every level writes the rendered line to the sink."""

    def __init__(self, sink: LineSink) -> None:
        self._write = sink.write

    def msg(self, line: bytes) -> None:
        self._write(line)

    debug = info = warning = warn = error = critical = exception = fatal = log = msg


_METHOD_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "msg": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "exception": logging.ERROR,
    "critical": logging.CRITICAL,
    "fatal": logging.CRITICAL,
}


class JsonLogs:
    """The JSON logs of one service: request lines, a structlog logger, a stdlib bridge."""

    def __init__(
        self, service: str, version: str, sink: LineSink, *, level: int = logging.INFO
    ) -> None:
        self.service = service
        self.version = version
        self.sink = sink
        self.level = level
        self._encode_line = msgspec.json.Encoder().encode

    def request(
        self,
        *,
        trace_id: str,
        span_id: str,
        correlation_id: str,
        method: str,
        route: str,
        path: str,
        status: int,
        seconds: float,
        code: str | None = None,
    ) -> None:
        """Write the line of one answered request (``code`` only for error answers)."""
        if self.level > logging.INFO:
            return
        line = RequestLine(
            ts=_clock.format(time.time()),
            level="info" if status < 500 else "error",
            event="request",
            service=self.service,
            version=self.version,
            trace_id=trace_id,
            span_id=span_id,
            correlation_id=correlation_id,
            method=method,
            route=route,
            path=escape(path),
            status=status,
            duration_ms=round(seconds * 1000.0, 3),
            code=code,
        )
        self.sink.write(self._encode_line(line))

    def fields(self, level: str, event: str, ts: float | None = None) -> dict[str, Any]:
        """The fields every line starts with, for the current span and correlation id."""
        trace_id, span_id = _current_ids()
        return {
            "ts": rfc3339(ts),
            "level": level,
            "event": event,
            "service": self.service,
            "version": self.version,
            "trace_id": trace_id,
            "span_id": span_id,
            "correlation_id": correlation_id.get() or "",
        }

    def _render(self, _: Any, method: str, event_dict: MutableMapping[str, Any]) -> bytes:
        level = method if method != "exception" else "error"
        if level == "warn":
            level = "warning"
        line = self.fields(level, str(event_dict.pop("event", "")))
        for key, value in event_dict.items():
            line.setdefault(key, value)
        return _encode(line)

    def set_level(self, level: int) -> None:
        """Write lines at ``level`` (a ``logging`` number) and above from now on."""
        self.level = level

    def _filter(self, _: Any, method: str, event_dict: MutableMapping[str, Any]) -> Any:
        if _METHOD_LEVELS.get(method, logging.INFO) < self.level:
            raise structlog.DropEvent
        return event_dict

    def logger(self) -> Any:
        """A structlog bound logger writing to this sink (no global structlog state).

        Its level follows :attr:`level`, which :meth:`set_level` may change while it runs.
        """
        return structlog.wrap_logger(
            _SinkLogger(self.sink),
            processors=[
                self._filter,
                _redact_event,
                structlog.processors.format_exc_info,
                _scrub_text,
                self._render,
            ],
            wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
            context_class=dict,
            cache_logger_on_first_use=True,
        )

    def bridge(self) -> StdlibBridge:
        """A ``logging.Handler`` that writes stdlib records as lines of these logs."""
        return StdlibBridge(self)


class StdlibBridge(logging.Handler):
    """Routes stdlib ``logging`` records (uvicorn, sqlalchemy, app modules) into the sink."""

    def __init__(self, logs: JsonLogs) -> None:
        super().__init__(level=logs.level)
        self._logs = logs

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record`` as one JSON line."""
        try:
            message = escape(scrub(record.getMessage()))
            line = self._logs.fields(record.levelname.lower(), message, record.created)
            line["logger"] = record.name
            if record.exc_info and record.exc_info[0] is not None:
                rendered = "".join(traceback.format_exception(*record.exc_info))
                line["exception"] = _escape_keeping_lines(scrub(rendered))
            self._logs.sink.write(_encode(line))
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)
