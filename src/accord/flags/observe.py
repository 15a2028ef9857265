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
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from openfeature.flag_evaluation import FlagEvaluationDetails, FlagValueType
from openfeature.hook import Hook, HookContext, HookHints
from opentelemetry.trace import get_current_span
from prometheus_client import CollectorRegistry, Counter

__all__ = ["EVENT", "NO_VARIANT", "EvaluationTelemetry"]

#: The span event's name (OpenTelemetry semantic conventions).
EVENT = "feature_flag.evaluation"
#: The counter's ``variant`` when no variant was resolved (the code's default applied).
NO_VARIANT = "_default"

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
            self._counter.labels(details.flag_key, variant or NO_VARIANT).inc()
        span = get_current_span()
        if not span.is_recording():
            return
        attributes: dict[str, str] = {
            "feature_flag.key": details.flag_key,
            "feature_flag.provider.name": provider,
        }
        if variant is not None:
            attributes["feature_flag.result.variant"] = variant
        if details.reason is not None:
            attributes["feature_flag.result.reason"] = str(details.reason).lower()
        if details.error_code is not None:
            attributes["error.type"] = str(details.error_code.value).lower()
        span.add_event(EVENT, attributes)
