"""Building a service's private ``TracerProvider`` from the standard ``OTEL_*`` variables.

- Sampler: ``OTEL_TRACES_SAMPLER`` / ``OTEL_TRACES_SAMPLER_ARG`` as the OpenTelemetry
  specification names them; by default parent-based trace-id-ratio 0.1 (the SDK's
  ``ParentBased``, with a shortcut for root spans: :class:`ParentBasedRatio`).
- Exporter, first match wins: the one passed in; none when ``OTEL_TRACES_EXPORTER=none``;
  OTLP over HTTP when ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` or
  ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; else OTLP/JSON lines in a local file.
- :func:`set_valid_attributes`: the cheap way to set attributes the caller already knows
  to be valid (the runtime's server span attributes).

Nothing here touches the global tracer provider.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
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
from opentelemetry.util.types import Attributes

from accord.errors import AccordError

__all__ = [
    "DEFAULT_RATIO",
    "ParentBasedRatio",
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
_TRACE_ID_LIMIT = TraceIdRatioBased.TRACE_ID_LIMIT


class ParentBasedRatio(ParentBased):
    """``ParentBased(TraceIdRatioBased(ratio))``, deciding root spans in one step.

    The same decisions and description as the SDK's composition. A server span is
    usually a root (no ``traceparent`` came in), and for those the composition costs
    three context look-ups and a new ``SamplingResult`` per request; this sampler
    compares the trace id with the ratio's bound and returns one of two shared results.
    Spans with a parent, or sampled with attributes, go through ``ParentBased``.
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
        """Sample a root span by its trace id; defer to ``ParentBased`` otherwise."""
        if attributes is None and not get_current_span(parent_context).get_span_context().is_valid:
            # A root: no parent trace state to carry, no attributes to pass on.
            return _SAMPLE if trace_id & _TRACE_ID_LIMIT < self._bound else _DROP
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
        processor = (
            SimpleSpanProcessor(exporter) if simple_processor else BatchSpanProcessor(exporter)
        )
        provider.add_span_processor(processor)
    return provider


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
