"""Building a service's private ``TracerProvider`` from the standard ``OTEL_*`` variables.

- Sampler: ``OTEL_TRACES_SAMPLER`` / ``OTEL_TRACES_SAMPLER_ARG`` as the OpenTelemetry
  specification names them; by default parent-based trace-id-ratio 0.1 (the SDK's
  ``ParentBased``, with a shortcut for root spans: :class:`ParentBasedRatio`).
- Exporter, first match wins: the one passed in; none when ``OTEL_TRACES_EXPORTER=none``;
  OTLP over HTTP when ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` or
  ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; else OTLP/JSON lines in a local file.
- :func:`set_valid_attributes`: the cheap way to set attributes the caller already knows
  to be valid (the runtime's server span attributes).
- Whatever the exporter, it sees spans through :class:`RedactingExporter`: an attribute
  (of a span, or of one of its events or links) under a secret key
  (:func:`~accord.observability.logs.is_secret`) is exported as ``"[redacted]"``, and
  credentials are scrubbed from text values (an exception event's message and
  stacktrace: :func:`~accord.observability.logs.scrub`).

Nothing here touches the global tracer provider.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, Span, SpanKind, TraceState, get_current_span
from opentelemetry.trace.span import DEFAULT_TRACE_STATE
from opentelemetry.util.types import Attributes

from accord.errors import AccordError
from accord.observability import logs as _logs
from accord.observability.logs import REDACTED, is_secret, scrub

__all__ = [
    "DEFAULT_RATIO",
    "AdjustableSampler",
    "ParentBasedRatio",
    "RedactingExporter",
    "TracingConfigError",
    "build_provider",
    "exporter_from_env",
    "sampler_from_env",
    "set_valid_attributes",
]

#: The share of root traces sampled when nothing says otherwise.
DEFAULT_RATIO = 0.1


class TracingConfigError(AccordError):
    """An ``OTEL_*`` variable holds a value accord cannot use."""


def _ratio(environ: Mapping[str, str]) -> float:
    raw = environ.get("OTEL_TRACES_SAMPLER_ARG", "").strip()
    if not raw:
        return 1.0
    try:
        value = float(raw)
    except ValueError:
        raise TracingConfigError(f"OTEL_TRACES_SAMPLER_ARG={raw!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise TracingConfigError(f"OTEL_TRACES_SAMPLER_ARG={raw!r} is not within [0, 1]")
    return value


_DROP = SamplingResult(Decision.DROP)
_SAMPLE = SamplingResult(Decision.RECORD_AND_SAMPLE)
# A child's decisions when its parent carries no trace state: the parent's (empty) state.
_DROP_CHILD = SamplingResult(Decision.DROP, None, DEFAULT_TRACE_STATE)
_SAMPLE_CHILD = SamplingResult(Decision.RECORD_AND_SAMPLE, None, DEFAULT_TRACE_STATE)
_TRACE_ID_LIMIT = TraceIdRatioBased.TRACE_ID_LIMIT


class AdjustableSampler(Sampler):
    """A sampler whose decisions come from another, replaced while the process runs.

    The provider keeps this one; :meth:`use` swaps what it delegates to (one
    assignment), e.g. when the trace sampling ratio of a live configuration changes.
    """

    def __init__(self, initial: Sampler) -> None:
        self.initial = initial
        self._delegate = initial

    def use(self, sampler: Sampler | None) -> None:
        """Sample with ``sampler`` from now on (``None``: the one it started with)."""
        self._delegate = sampler if sampler is not None else self.initial

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        """What the current delegate decides."""
        return self._delegate.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        """The current delegate's description."""
        return str(self._delegate.get_description())


class ParentBasedRatio(ParentBased):
    """``ParentBased(TraceIdRatioBased(ratio))``, deciding root spans in one step.

    The same decisions and description as the SDK's composition, which costs three
    context look-ups and a new ``SamplingResult`` per span. Here a root (no
    ``traceparent`` came in) compares its trace id with the ratio's bound, and a child
    of a parent with no trace state follows the parent's sampled flag (as
    ``ParentBased``'s defaults do, remote or local), each returning one of a few shared
    results. A parent's trace state to carry on, or attributes to pass through a
    sampled decision, go through ``ParentBased``.
    """

    def __init__(self, ratio: float) -> None:
        root = TraceIdRatioBased(ratio)
        super().__init__(root)
        self._bound = root.bound

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        """Sample a root span by its trace id, a child by its parent's flag; defer to
        ``ParentBased`` when there is a trace state or there are attributes to carry."""
        parent = get_current_span(parent_context).get_span_context()
        if not parent.is_valid:
            if attributes is None:  # a root: no trace state to carry, no attributes
                return _SAMPLE if trace_id & _TRACE_ID_LIMIT < self._bound else _DROP
        elif not parent.trace_state:
            if not parent.trace_flags.sampled:  # dropped: attributes go, as ALWAYS_OFF's
                return _DROP_CHILD
            if attributes is None:
                return _SAMPLE_CHILD
        return super().should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )


def sampler_from_env(environ: Mapping[str, str]) -> Sampler:
    """The sampler ``OTEL_TRACES_SAMPLER`` names (default: parent-based ratio 0.1)."""
    name = environ.get("OTEL_TRACES_SAMPLER", "").strip().lower()
    if not name:
        return ParentBasedRatio(DEFAULT_RATIO)
    if name == "always_on":
        return ALWAYS_ON
    if name == "always_off":
        return ALWAYS_OFF
    if name == "traceidratio":
        return TraceIdRatioBased(_ratio(environ))
    if name == "parentbased_always_on":
        return ParentBased(ALWAYS_ON)
    if name == "parentbased_always_off":
        return ParentBased(ALWAYS_OFF)
    if name == "parentbased_traceidratio":
        return ParentBasedRatio(_ratio(environ))
    raise TracingConfigError(f"OTEL_TRACES_SAMPLER={name!r} is not a sampler accord knows")


def exporter_from_env(service: str, environ: Mapping[str, str], home: Path) -> SpanExporter | None:
    """The exporter the environment asks for; ``None`` means spans are not exported."""
    kind = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if kind == "none":
        return None
    traces_endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
    base_endpoint = environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
    if traces_endpoint or base_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = traces_endpoint or base_endpoint.rstrip("/") + "/v1/traces"
        return OTLPSpanExporter(endpoint=endpoint)
    from accord.observability.otlp_json import FileSpanExporter

    return FileSpanExporter(home / "telemetry" / f"{service}.jsonl")


def build_provider(
    service: str,
    version: str,
    *,
    sampler: Sampler,
    exporter: SpanExporter | None,
    simple_processor: bool = False,
) -> TracerProvider:
    """A private provider with the service's resource and one span processor."""
    resource = Resource.create(
        {
            "service.name": service,
            "service.version": version,
            "service.instance.id": str(uuid.uuid4()),
        }
    )
    provider = TracerProvider(sampler=sampler, resource=resource)
    if exporter is not None:
        exporter = RedactingExporter(exporter)
        processor = (
            SimpleSpanProcessor(exporter) if simple_processor else BatchSpanProcessor(exporter)
        )
        provider.add_span_processor(processor)
    return provider


def _clean(key: str, value: Any) -> Any:
    if is_secret(key):
        return REDACTED
    return scrub(value) if type(value) is str else value


def _redacted(attributes: Attributes) -> Attributes:
    """``attributes`` with secret values replaced and credentials scrubbed from text.

    The same object when nothing changes (the common case).
    """
    if not attributes or all(_clean(k, v) == v for k, v in attributes.items()):
        return attributes
    return {key: _clean(key, value) for key, value in attributes.items()}


class RedactingExporter(SpanExporter):
    """Exports spans through ``exporter`` with every secret attribute redacted.

    A span without a secret attribute is passed on as it is; one with any is copied with
    the values replaced (in the exporting thread, off the request path).
    """

    def __init__(self, exporter: SpanExporter) -> None:
        self.exporter = exporter

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Export ``spans``, redacted."""
        return self.exporter.export([_redact_span(span) for span in spans])

    def shutdown(self) -> None:
        """Shut the wrapped exporter down."""
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Flush the wrapped exporter."""
        return self.exporter.force_flush(timeout_millis)


#: Key tuples of attribute dicts (in their order) with no secret key among them;
#: forgotten when more keys are marked secret.
_CLEAN_KEYS: set[tuple[str, ...]] = set()
_MAX_CLEAN_KEYS = 1024
_logs._on_mark.append(_CLEAN_KEYS.clear)


def _plainly_clean(attributes: Any) -> bool:
    """Whether ``attributes`` (a plain dict) certainly needs no redaction, cheaply.

    Two checks without a Python call per attribute: the tuple of its keys was seen
    before with no secret key, and the ``repr`` of its values (strings, numbers and
    sequences of them) holds nothing :func:`~accord.observability.logs.scrub` would
    look at. ``False`` means "look closer", not "secret".
    """
    keys = tuple(attributes)
    if keys not in _CLEAN_KEYS:
        if any(is_secret(key) for key in keys):
            return False
        if len(_CLEAN_KEYS) >= _MAX_CLEAN_KEYS:
            _CLEAN_KEYS.clear()
        _CLEAN_KEYS.add(keys)
    text = repr(tuple(attributes.values()))
    return "eyJ" not in text and "earer" not in text and "EARER" not in text


def _redact_span(span: ReadableSpan) -> ReadableSpan:
    # The common span (an SDK span with string and number attributes, no events or
    # links) is checked where the SDK keeps it, without the copies the properties make.
    bounded = getattr(span, "_attributes", None)
    plain = getattr(bounded, "_dict", None)
    if (
        type(plain) is dict
        and not getattr(span, "_events", True)
        and not getattr(span, "_links", True)
        and _plainly_clean(plain)
    ):
        return span
    # Each read of these properties makes a new view or tuple: read them once.
    old_attributes, old_events, old_links = span.attributes, span.events, span.links
    attributes = _redacted(old_attributes)
    events = [
        event
        if _redacted(event.attributes) is event.attributes
        else Event(event.name, _redacted(event.attributes), event.timestamp)
        for event in old_events
    ]
    links = [
        link
        if _redacted(link.attributes) is link.attributes
        else Link(link.context, _redacted(link.attributes))
        for link in old_links
    ]
    if (
        attributes is old_attributes
        and all(a is b for a, b in zip(events, old_events, strict=True))
        and all(a is b for a, b in zip(links, old_links, strict=True))
    ):
        return span
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=attributes,
        events=events,
        links=links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


def set_valid_attributes(span: Span, attributes: Mapping[str, str | int]) -> None:
    """Set ``attributes`` (string and integer values, non-empty keys) on ``span``.

    ``Span.set_attributes`` of the SDK checks and copies every value with a Python call
    per value, under a lock: about 5 µs for the ten attributes of a server span, on
    every traced request. Values that are already strings or integers need none of it,
    so on a recording SDK span whose limits they fit (no value length limit, room for
    all of them) they go straight into the span's attribute dict. Any other span (not
    the SDK's, ended, limited) gets the public ``set_attributes``.
    """
    bounded = getattr(span, "_attributes", None)
    plain = getattr(bounded, "_dict", None)
    if (
        type(bounded) is BoundedAttributes
        and type(plain) is dict
        and not getattr(bounded, "_immutable", True)
        and bounded.max_value_len is None
        and (bounded.maxlen is None or len(plain) + len(attributes) <= bounded.maxlen)
    ):
        if plain:
            for key in attributes.keys() & plain.keys():
                del plain[key]  # a key set again moves to the end, as with the SDK
        plain.update(attributes)
    else:
        span.set_attributes(attributes)
