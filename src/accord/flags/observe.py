"""Every flag evaluation made visible: a span event and a counter.

:class:`~accord.flags.Flags` records its evaluations itself (:meth:`EvaluationTelemetry.record`);
the same recorder is an OpenFeature hook for code that evaluates through an OpenFeature
client of its own.

The span event follows OpenTelemetry's semantic conventions for feature flags::

    feature_flag.evaluation
        feature_flag.key              = "pause-orders"
        feature_flag.result.variant   = "off"
        feature_flag.result.reason    = "static"
        feature_flag.provider.name    = "FlagdProvider"
        error.type                    = "flag_not_found"    (only when it failed)

and the counter is ``accord_feature_flag_evaluations_total{flag, variant}`` in the
service's Prometheus registry (``variant="_default"``: the code's default was used
because the flag could not be evaluated).

Both are cheap: the counter's child and the event's (immutable) attributes are built
once per flag and outcome, and on the SDK's own span the event is appended as the SDK
appends it, without checking those attributes again at every evaluation.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from openfeature.flag_evaluation import FlagEvaluationDetails, FlagValueType
from openfeature.hook import Hook, HookContext, HookHints
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import Event, Span
from opentelemetry.trace import get_current_span
from prometheus_client import CollectorRegistry, Counter

__all__ = ["EVENT", "NO_VARIANT", "EvaluationTelemetry"]

#: The span event's name (OpenTelemetry semantic conventions).
EVENT = "feature_flag.evaluation"
#: The counter's ``variant`` when no variant was resolved (the code's default applied).
NO_VARIANT = "_default"

#: The SDK's span appends a prepared event itself (see ``record``).
_SDK_APPEND = hasattr(Span, "_add_event")

_COUNTERS: WeakKeyDictionary[CollectorRegistry, Counter] = WeakKeyDictionary()


def _counter(registry: CollectorRegistry) -> Counter:
    """One counter per registry, however many flag clients share it."""
    counter = _COUNTERS.get(registry)
    if counter is None:
        counter = Counter(
            "accord_feature_flag_evaluations",
            "Feature flag evaluations, by flag and resolved variant.",
            ("flag", "variant"),
            registry=registry,
        )
        _COUNTERS[registry] = counter
    return counter


class EvaluationTelemetry(Hook):
    """The OpenFeature hook that records each evaluation (see the module docstring).

    ``registry``: where the counter lives (``None``: span events only).
    """

    def __init__(self, registry: CollectorRegistry | None) -> None:
        self._counter = _counter(registry) if registry is not None else None
        # Per evaluation outcome, built once: the counter's child (a label lookup costs
        # more than the increment) and the event's attributes.
        self._children: dict[tuple[str, str], Any] = {}
        self._attributes: dict[tuple[str, str, str | None, Any, Any], BoundedAttributes] = {}

    def finally_after(
        self,
        hook_context: HookContext,
        details: FlagEvaluationDetails[FlagValueType],
        hints: HookHints,
    ) -> None:
        """After every evaluation, successful or not."""
        provider = hook_context.provider_metadata
        self.record(details, provider.name if provider is not None else "")

    def record(self, details: FlagEvaluationDetails[Any], provider: str) -> None:
        """Count one evaluation, and add its event to the current span if it records."""
        variant = details.variant
        if self._counter is not None:
            labels = (details.flag_key, variant or NO_VARIANT)
            child = self._children.get(labels)
            if child is None:
                child = self._children.setdefault(labels, self._counter.labels(*labels))
            child.inc()
        span = get_current_span()
        if not span.is_recording():
            return
        outcome = (details.flag_key, provider, variant, details.reason, details.error_code)
        attributes = self._attributes.get(outcome)
        if attributes is None:
            built = BoundedAttributes(attributes=_attributes(details, provider), immutable=True)
            attributes = self._attributes.setdefault(outcome, built)
        if _SDK_APPEND and isinstance(span, Span):
            # The SDK's span: its event with the attributes checked once per outcome
            # (``add_event`` checks them again at every call, the larger part of the cost).
            span._add_event(Event(EVENT, attributes))
        else:
            span.add_event(EVENT, attributes)


def _attributes(details: FlagEvaluationDetails[Any], provider: str) -> dict[str, str]:
    """The span event's attributes for one evaluation outcome."""
    attributes: dict[str, str] = {
        "feature_flag.key": details.flag_key,
        "feature_flag.provider.name": provider,
    }
    if details.variant is not None:
        attributes["feature_flag.result.variant"] = details.variant
    if details.reason is not None:
        attributes["feature_flag.result.reason"] = str(details.reason).lower()
    if details.error_code is not None:
        attributes["error.type"] = str(details.error_code.value).lower()
    return attributes
