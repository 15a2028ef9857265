"""Writing SDK spans as OTLP/JSON: the encoder behind :mod:`accord.observability.otlp_json`.

It runs on the span exporter's thread, where every microsecond is taken from the event
loop (both need the GIL), so it is written for speed:

- messages have types of their own, one per value kind, built positionally and encoded
  by msgspec in one call per batch, with empty fields left out by ``omit_defaults``;
- the resource and scope parts are encoded once per encoder and reused as raw fragments,
  and so are recurring string and integer attributes (method, route, addresses, status
  codes, ports);
- spans are grouped by object identity first: ``Resource`` hashes by dumping itself to
  JSON, so equality is only checked when a span's resource or scope changes;
- an SDK span's attributes, events and links are read where the SDK keeps them, not
  through the properties that copy them.

The output is byte for byte what the field-by-field mapping of the OTLP specification
gives (the tests compare it with the official protobuf encoder).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import msgspec
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import DEFAULT_TRACE_STATE, Link, SpanContext, StatusCode, TraceState

__all__ = ["SpanEncoder"]

# SpanFlags of opentelemetry-proto: bits 0-7 are the W3C trace flags.
_HAS_IS_REMOTE = 0x100
_IS_REMOTE = 0x200


class _String(msgspec.Struct, rename="camel"):
    string_value: str


class _Bool(msgspec.Struct, rename="camel"):
    bool_value: bool


class _Int(msgspec.Struct, rename="camel"):
    int_value: str


class _Double(msgspec.Struct, rename="camel"):
    double_value: float | str


class _Bytes(msgspec.Struct, rename="camel"):
    bytes_value: str


class _Values(msgspec.Struct):
    values: list[Any]


class _Array(msgspec.Struct, rename="camel"):
    array_value: _Values


class _KvList(msgspec.Struct, rename="camel"):
    kvlist_value: _Values


class _Empty(msgspec.Struct):
    pass


class _OutStatus(msgspec.Struct):
    code: int
    message: str | msgspec.UnsetType = msgspec.UNSET


class _Attribute(msgspec.Struct):
    key: str
    value: Any


class _OutEvent(msgspec.Struct, rename="camel", omit_defaults=True):
    time_unix_nano: str = ""
    name: str = ""
    attributes: list[_Attribute] = []
    dropped_attributes_count: int = 0


class _OutLink(msgspec.Struct, rename="camel", omit_defaults=True):
    trace_id: str = ""
    span_id: str = ""
    trace_state: str = ""
    attributes: list[_Attribute] = []
    dropped_attributes_count: int = 0
    flags: int = 0


class _OutSpan(msgspec.Struct, rename="camel", omit_defaults=True):
    trace_id: str = ""
    span_id: str = ""
    trace_state: str = ""
    parent_span_id: str = ""
    flags: int = 0
    name: str = ""
    kind: int = 0
    start_time_unix_nano: str = ""
    end_time_unix_nano: str = ""
    attributes: list[_Attribute] = []
    dropped_attributes_count: int = 0
    events: list[_OutEvent] = []
    dropped_events_count: int = 0
    links: list[_OutLink] = []
    dropped_links_count: int = 0
    status: _OutStatus | None = None


class _OutScopeSpans(msgspec.Struct, rename="camel", omit_defaults=True):
    scope: msgspec.Raw
    spans: list[_OutSpan]
    schema_url: str = ""


class _OutResourceSpans(msgspec.Struct, rename="camel", omit_defaults=True):
    resource: msgspec.Raw
    scope_spans: list[_OutScopeSpans]
    schema_url: str = ""


class _OutRequest(msgspec.Struct, rename="camel"):
    resource_spans: list[_OutResourceSpans]


_encode = msgspec.json.Encoder().encode
_EMPTY = _Empty()
_NO_SPANS: list[_OutSpan] = []
_UNSEEN = object()
_NO_EVENTS: list[_OutEvent] = []
_NO_LINKS: list[_OutLink] = []
_DEFAULT_TRACE_STATE = DEFAULT_TRACE_STATE
# Statuses without a description, by code: one shared struct each.
_PLAIN_STATUS = [_OutStatus(code) for code in sorted(c.value for c in StatusCode)]
# Resources and scopes seen, with their encoded fragment; dropped wholesale past this.
_MAX_CACHED = 256
# String attributes remembered, encoded (short ones only); forgotten wholesale past this.
_MAX_STRINGS = 4096
_MAX_STRING_LENGTH = 256


class _Group:
    """The spans of one resource and scope, in the order they came."""

    __slots__ = ("scope", "spans")

    def __init__(self, scope: InstrumentationScope | None) -> None:
        self.scope = scope
        self.spans: list[_OutSpan] = []


class SpanEncoder:
    """Encodes batches of SDK spans as OTLP/JSON lines.

    Each instance remembers the encoding of every resource and scope it has seen, and of
    recurring string attributes; one per exporter. Safe to share between threads (the
    caches only ever hold correct entries).
    """

    def __init__(self) -> None:
        self._fragments: dict[int, tuple[object, msgspec.Raw]] = {}
        self._strings: dict[tuple[str, str], msgspec.Raw] = {}
        self._ints: dict[tuple[str, int], msgspec.Raw] = {}

    def encode(self, spans: Sequence[ReadableSpan]) -> bytes:
        """One ``ExportTraceServiceRequest`` holding ``spans``, ending in a newline."""
        # Grouped by equal resource, then equal scope, in the order first seen; the
        # equality checks run only when a span's resource or scope differs from the
        # previous span's (objects, not values: Resource hashes by dumping itself).
        groups: list[tuple[Resource, list[_Group]]] = []
        last_resource: object = None
        last_scope: object = _UNSEEN
        target = _NO_SPANS
        for span in spans:
            resource = span.resource
            scope = span.instrumentation_scope
            if resource is not last_resource or scope is not last_scope:
                target = _group(groups, resource, scope).spans
                last_resource, last_scope = resource, scope
            target.append(_span(span, self._attributes))
        request = _OutRequest(
            [
                _OutResourceSpans(
                    self._fragment(resource, _resource_fragment),
                    [
                        _OutScopeSpans(
                            self._fragment(g.scope, _scope_fragment),
                            g.spans,
                            (g.scope and g.scope.schema_url) or "",
                        )
                        for g in scopes
                    ],
                    resource.schema_url or "",
                )
                for resource, scopes in groups
            ]
        )
        return _encode(request) + b"\n"

    def _attributes(self, items: Iterable[tuple[str, Any]]) -> list[Any]:
        # Most span attributes are strings that repeat (method, route, addresses): each
        # such pair is encoded once and reused as a raw fragment.
        strings = self._strings
        ints = self._ints
        return [
            (strings.get((k, v)) or self._string(k, v))
            if type(v) is str
            else (ints.get((k, v)) or self._int(k, v))
            if type(v) is int  # exactly int: a bool is equal to 0 or 1, and never here
            else _Attribute(str(k), _value(v))
            for k, v in items
        ]

    def _string(self, key: str, value: str) -> msgspec.Raw:
        fragment = msgspec.Raw(_encode(_Attribute(str(key), _String(value))))
        if len(value) <= _MAX_STRING_LENGTH:
            if len(self._strings) >= _MAX_STRINGS:
                self._strings.clear()
            self._strings[key, value] = fragment
        return fragment

    def _int(self, key: str, value: int) -> msgspec.Raw:
        # Status codes and ports recur as much as methods and routes do.
        fragment = msgspec.Raw(_encode(_Attribute(str(key), _Int(str(value)))))
        if len(self._ints) >= _MAX_STRINGS:
            self._ints.clear()
        self._ints[key, value] = fragment
        return fragment

    def _fragment(self, part: Any, encode: Callable[[Any], bytes]) -> msgspec.Raw:
        cached = self._fragments.get(id(part))
        if cached is not None and cached[0] is part:
            return cached[1]
        if len(self._fragments) >= _MAX_CACHED:
            self._fragments.clear()
        fragment = msgspec.Raw(encode(part))
        # The part itself is kept, so its id cannot be reused while cached.
        self._fragments[id(part)] = (part, fragment)
        return fragment


def _group(
    groups: list[tuple[Resource, list[_Group]]],
    resource: Resource,
    scope: InstrumentationScope | None,
) -> _Group:
    scopes = next((s for known, s in groups if known is resource or known == resource), None)
    if scopes is None:
        scopes = []
        groups.append((resource, scopes))
    for group in scopes:
        if group.scope is scope or group.scope == scope:
            return group
    group = _Group(scope)
    scopes.append(group)
    return group


def _resource_fragment(resource: Resource) -> bytes:
    attributes = _attributes(resource.attributes.items())
    return _encode({"attributes": attributes} if attributes else {})


def _scope_fragment(scope: InstrumentationScope | None) -> bytes:
    part: dict[str, Any] = {}
    if scope is not None:
        if scope.name:
            part["name"] = scope.name
        if scope.version:
            part["version"] = scope.version
        attributes = _attributes((scope.attributes or {}).items())
        if attributes:
            part["attributes"] = attributes
    return _encode(part)


def _flags(context: SpanContext, parent: SpanContext | None) -> int:
    flags = context.trace_flags | _HAS_IS_REMOTE
    if parent is not None and parent.is_remote:
        flags |= _IS_REMOTE
    return flags


def _trace_state(state: TraceState) -> str:
    return "" if state is _DEFAULT_TRACE_STATE or not state else state.to_header()


def _span(span: ReadableSpan, attributes: Callable[[Any], list[Any]]) -> _OutSpan:
    context = span.get_span_context()
    assert context is not None  # an SDK span always has one
    parent = span.parent
    status = span.status
    # ``ReadableSpan.attributes``, ``.events`` and ``.links`` copy what the SDK holds, and
    # its BoundedAttributes serves items one Python-level call at a time. What an SDK span
    # holds is read directly when it has the expected shape (three times faster), through
    # the public properties otherwise.
    bounded = getattr(span, "_attributes", None)
    plain = getattr(bounded, "_dict", None)
    items = plain.items() if type(plain) is dict else (span.attributes or {}).items()
    events: Sequence[Event] | None = getattr(span, "_events", None)
    if events is None:
        events = span.events
    links: Sequence[Link] | None = getattr(span, "_links", None)
    if links is None:
        links = span.links
    return _OutSpan(
        context.trace_id.to_bytes(16, "big").hex(),
        context.span_id.to_bytes(8, "big").hex(),
        _trace_state(context.trace_state),
        parent.span_id.to_bytes(8, "big").hex() if parent is not None else "",
        _flags(context, parent),
        span.name,
        span.kind._value_ + 1,  # the SDK counts from 0; OTLP keeps 0 for UNSPECIFIED
        str(span.start_time or 0),
        str(span.end_time or 0),
        attributes(items),
        span.dropped_attributes,
        [_event(e) for e in events] if events else _NO_EVENTS,
        span.dropped_events,
        [_link(link) for link in links] if links else _NO_LINKS,
        span.dropped_links,
        _PLAIN_STATUS[status.status_code._value_]
        if status.description is None
        else _OutStatus(status.status_code.value, status.description or msgspec.UNSET),
    )


def _event(event: Event) -> _OutEvent:
    return _OutEvent(
        str(event.timestamp),
        event.name,
        _attributes((event.attributes or {}).items()),
        event.dropped_attributes,
    )


def _link(link: Link) -> _OutLink:
    context = link.context
    return _OutLink(
        context.trace_id.to_bytes(16, "big").hex(),
        context.span_id.to_bytes(8, "big").hex(),
        _trace_state(context.trace_state),
        _attributes((link.attributes or {}).items()),
        link.dropped_attributes,
        _flags(context, context),
    )


def _attributes(items: Iterable[tuple[str, Any]]) -> list[_Attribute]:
    return [_Attribute(str(k), _String(v) if type(v) is str else _value(v)) for k, v in items]


def _value(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return _String(value)
    if kind is int:
        return _Int(str(value))
    if kind is bool:
        return _Bool(value)
    if kind is float and math.isfinite(value):
        return _Double(value)
    # Subclasses, containers, bytes, None and the non-finite doubles, in the order that
    # keeps bool apart from int.
    if isinstance(value, bool):
        return _Bool(value)
    if isinstance(value, str):
        return _String(value)
    if isinstance(value, int):
        return _Int(str(value))
    if isinstance(value, float):
        # Proto3 JSON spells the non-finite doubles as strings.
        if math.isfinite(value):
            return _Double(value)
        return _Double("NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity"))
    if isinstance(value, bytes | bytearray):
        return _Bytes(base64.b64encode(value).decode("ascii"))
    if isinstance(value, Mapping):
        return _KvList(_Values(_attributes(value.items())))
    if isinstance(value, Sequence):
        return _Array(_Values([_value(v) for v in value]))
    if value is None:
        return _EMPTY
    return _String(str(value))
