"""``Flags``: a service's typed view of its feature flags, evaluated through OpenFeature.

::

    flags = Flags.open(FlagSettings.from_env(), service="orders", version="2.1.0",
                       telemetry=telemetry)
    if flags.value(PAUSE_ORDERS):          # a Flag[bool]: the answer is a bool
        ...
    flags.close()

Each evaluation's context carries the caller (the verified token's subject as the
targeting key, and its customer) and the service's name and version, so flagd's
``fractional`` splits are sticky per customer and targeting rules can use them.

Evaluations go straight to the provider's resolver, through OpenFeature's provider
interface: the OpenFeature client's generic machinery (hook stages, four merged contexts,
status and type checks around each call) cost about 11 µs an evaluation, more than the
resolution itself. What of it matters is done here: an error or a value of the wrong type
gives the declared default with the error's code, a provider not ready gives the default,
and :class:`~accord.flags.EvaluationTelemetry` records each evaluation (span event and
counter). The client still carries the provider's lifecycle and events.

A provider with a ``quick(key, targeting_key)`` method (the file provider,
:class:`~accord.flags.file_provider.FileProvider`) answers the flags it can from a
snapshot first: no evaluation context is built for them.

A flag that cannot be evaluated (no file, an invalid file, the flag missing from it)
takes the default its declaration gives; the reason is logged once, when it starts.
An edit that breaks a file the service had loaded is refused the same way, and the last
good flags stay in force until the file is fixed.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.event import EventDetails, ProviderEvent
from openfeature.exception import ErrorCode, OpenFeatureError
from openfeature.flag_evaluation import FlagEvaluationDetails, FlagResolutionDetails, Reason
from openfeature.provider import FeatureProvider
from openfeature.provider.no_op_provider import NoOpProvider

from accord.flags.declare import Flag, FlagKind
from accord.flags.observe import EvaluationTelemetry
from accord.flags.source import FlagSettings
from accord.observability.telemetry import Telemetry
from accord.runtime.auth import current_principal

__all__ = ["Flags"]

T = TypeVar("T", bool, str, int, float, dict[str, Any])

log = logging.getLogger("accord.flags")

_DOMAINS = itertools.count(1)
_NOT_A = {kind: f"not a {kind.value}" for kind in FlagKind}


class Flags:
    """Typed evaluation of declared flags through one OpenFeature provider (module doc)."""

    def __init__(
        self,
        provider: FeatureProvider,
        *,
        service: str,
        version: str,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.source = getattr(provider, "path", None) or provider.get_metadata().name
        self._provider = provider
        self._quick: Callable[[str, str | None], Any] | None = getattr(provider, "quick", None)
        self._domain = f"{service}-flags-{next(_DOMAINS)}"
        self._base = {"service": service, "version": version}
        self._lock = threading.Lock()
        self._failing = False
        self._loaded = False
        self._closed = False
        self._client = api.get_client(self._domain)
        self._logger = telemetry.logger if telemetry is not None else None
        registry = telemetry.metrics.registry if telemetry is not None else None
        self._telemetry = EvaluationTelemetry(registry)
        self._provider_name = provider.get_metadata().name
        self._resolvers: dict[FlagKind, Callable[..., FlagResolutionDetails[Any]]] = {
            FlagKind.BOOLEAN: provider.resolve_boolean_details,
            FlagKind.STRING: provider.resolve_string_details,
            FlagKind.INTEGER: provider.resolve_integer_details,
            FlagKind.FLOAT: provider.resolve_float_details,
            FlagKind.OBJECT: provider.resolve_object_details,
        }
        self._client.add_handler(ProviderEvent.PROVIDER_ERROR, self._on_error)
        self._client.add_handler(ProviderEvent.PROVIDER_READY, self._on_ready)
        self._client.add_handler(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, self._on_change)
        try:
            api.set_provider_and_wait(provider, domain=self._domain)
        except Exception as exc:
            cause = exc.__cause__ or exc
            self._failed(str(cause) or type(cause).__name__, starting=True)

    @classmethod
    def open(
        cls,
        settings: FlagSettings,
        *,
        service: str,
        version: str,
        telemetry: Telemetry | None = None,
    ) -> Flags:
        """The flags of ``service`` from the provider ``settings`` describe."""
        return cls(settings.build(), service=service, version=version, telemetry=telemetry)

    def context(self, targeting_key: str | None = None) -> EvaluationContext:
        """The evaluation context of the request being served: ``targeting_key`` (default:
        the token's subject), ``customerId``, ``service`` and ``version``."""
        attributes: dict[str, Any] = dict(self._base)
        principal = current_principal()
        if principal is not None:
            attributes["subject"] = principal.subject
            if principal.customer_id is not None:
                attributes["customerId"] = principal.customer_id
            if targeting_key is None:
                targeting_key = principal.subject
        return EvaluationContext(targeting_key=targeting_key, attributes=attributes)

    def details(
        self, flag: Flag[T], *, targeting_key: str | None = None
    ) -> FlagEvaluationDetails[T]:
        """The evaluation of ``flag`` with its variant and reason."""
        found = None
        if self._quick is not None:  # a flag without rules, or a split: no context built
            if targeting_key is None:
                principal = current_principal()
                targeting_key = principal.subject if principal is not None else None
            found = self._quick(flag.key, targeting_key)
        if found is not None:
            value, variant, reason, metadata = found
            if flag.kind.accepts(value):
                details = FlagEvaluationDetails(
                    flag_key=flag.key,
                    value=value,
                    variant=variant,
                    reason=reason,
                    flag_metadata=metadata,
                )
            else:
                details = self._fallback(flag, ErrorCode.TYPE_MISMATCH, _NOT_A[flag.kind])
        else:
            details = self._resolve(flag, self.context(targeting_key))
        self._telemetry.record(details, self._provider_name)
        return details

    def _resolve(self, flag: Flag[T], context: EvaluationContext) -> FlagEvaluationDetails[T]:
        try:
            found: FlagResolutionDetails[Any] = self._resolvers[flag.kind](
                flag.key, flag.default, context
            )
        except OpenFeatureError as exc:
            return self._fallback(flag, exc.error_code, exc.error_message)
        except Exception as exc:  # a provider's bug must not fail the request
            return self._fallback(flag, ErrorCode.GENERAL, str(exc))
        if found.error_code is not None:
            return self._fallback(flag, found.error_code, found.error_message)
        value: Any = found.value
        if not flag.kind.accepts(value):
            return self._fallback(flag, ErrorCode.TYPE_MISMATCH, _NOT_A[flag.kind])
        return FlagEvaluationDetails(
            flag_key=flag.key,
            value=value,
            variant=found.variant,
            reason=found.reason,
            flag_metadata=found.flag_metadata,
        )

    @staticmethod
    def _fallback(flag: Flag[T], code: ErrorCode, message: str | None) -> FlagEvaluationDetails[T]:
        """The declared default, with why the flag could not be evaluated."""
        return FlagEvaluationDetails(
            flag_key=flag.key,
            value=flag.default,
            reason=Reason.ERROR,
            error_code=code,
            error_message=message,
        )

    def value(self, flag: Flag[T], *, targeting_key: str | None = None) -> T:
        """The value of ``flag`` for the request being served (its default when it cannot
        be evaluated)."""
        value: T = self.details(flag, targeting_key=targeting_key).value
        return value

    def close(self) -> None:
        """Stop watching the flags (the provider is shut down)."""
        self._closed = True
        api.set_provider(NoOpProvider(), domain=self._domain)

    async def aclose(self) -> None:
        """:meth:`close`, as an app's shutdown hook."""
        self.close()

    # Provider events arrive on the provider's own thread.

    def _failed(self, message: str, *, starting: bool = False) -> None:
        """Say once that the flags cannot be read, until they can again."""
        with self._lock:
            if self._failing or self._closed:
                return
            if message.startswith("Provider initialization failed") and not starting:
                return  # the start-up failure, which the constructor reports with its cause
            self._failing = True
            loaded = self._loaded
        keeping = "the last good flags stay" if loaded else "every flag takes its default"
        self._say(
            logging.WARNING,
            "flags_refused",
            f"flags: {self.source}: {message}; {keeping} until it is fixed",
        )

    def _ours(self, details: EventDetails) -> bool:
        """Whether an event comes from this client's provider: the SDK runs handlers
        added before the provider is set on an executor, so the domain's previous
        provider (a no-op one) may report ready after ours has failed."""
        return details.provider_name == self._provider_name

    def _on_error(self, details: EventDetails) -> None:
        if self._ours(details):
            self._failed(details.message or "the provider failed")

    def _on_ready(self, details: EventDetails) -> None:
        if not self._ours(details):
            return
        with self._lock:
            was_failing = self._failing and not self._closed
            self._failing = False
        if was_failing:
            self._say(logging.INFO, "flags_loaded", f"flags: {self.source} loaded")

    def _on_change(self, details: EventDetails) -> None:
        with self._lock:
            self._loaded = True
            if self._closed:
                return
        changed = ", ".join(sorted(details.flags_changed or [])) or "nothing"
        self._say(
            logging.INFO, "flags_applied", f"flags: {self.source} applied (changed: {changed})"
        )

    def _say(self, level: int, event: str, message: str) -> None:
        """One line in the service's JSON log (the stdlib's without telemetry)."""
        if self._logger is None:
            log.log(level, "%s", message)
        elif level >= logging.WARNING:
            self._logger.warning(event, message=message, source=self.source)
        else:
            self._logger.info(event, message=message, source=self.source)
