"""The errors of accord, in one tree.

    AccordError
    ├── ServiceError                 a declared error: stable code, HTTP status, retryable flag
    │   ├── <the contract's own>     e.g. ``inventory.out_of_stock``; raised by a service,
    │   │                            raised again by its typed client
    │   ├── BadRequest               400 ``bad_request``
    │   ├── DuplicateHeader          400 ``duplicate_header`` (a once-only header repeated)
    │   ├── IdempotencyKeyRequired   400 ``idempotency_key_required``
    │   ├── Unauthenticated          401 ``unauthenticated``
    │   │   └── CertificateMismatch  401 ``certificate_mismatch`` (bound to another cert)
    │   ├── Forbidden                403 ``forbidden``
    │   ├── NotFound                 404 ``not_found``
    │   ├── MethodNotAllowed         405 ``method_not_allowed``
    │   ├── IdempotencyKeyInUse      409 ``idempotency_key_in_use`` (retryable)
    │   ├── PayloadTooLarge          413 ``payload_too_large``
    │   ├── UnsupportedMediaType     415 ``unsupported_media_type``
    │   ├── ValidationFailed         422 ``validation_failed`` (``errors``: ``[{path, message}]``)
    │   ├── IdempotencyKeyReused     422 ``idempotency_key_reused``
    │   ├── TooManyRequests          429 ``rate_limited`` (retryable)
    │   ├── HeadersTooLarge          431 ``headers_too_large``
    │   ├── InternalError            500 ``internal``
    │   ├── Unavailable              503 ``unavailable`` (retryable)
    │   │   └── NotReady             the readiness probe's answer (runtime.probes)
    │   └── DeadlineExceeded         504 ``deadline_exceeded`` (retryable)
    ├── ContractError                a contract or implementation is declared wrongly
    │   └── ResponseMismatch         an implementation returned the wrong type (runtime)
    ├── ClientError                  raised by a typed client when no declared error fits
    │   ├── TransportError           the call did not get a response (connect, read, write)
    │   │   └── Timeout              the operation's time ran out
    │   ├── UnexpectedResponse       the response broke the contract (schema, content type)
    │   ├── RemoteError              a problem+json with a code this contract does not declare
    │   ├── BreakerOpen              the downstream's breaker is open: not called (resilience)
    │   ├── BulkheadFull             too many calls in flight to it: not sent (resilience)
    │   └── TokenUnavailable         no token to authenticate the call: not sent (client.auth)
    └── one per tool, each in its module (a settings one is a ValueError too)
        ├── ConfigError              a service's configuration, every problem listed (config)
        │   └── EnvironmentRefused   an environment's requirements not met (config.environment)
        ├── AuthSettingsError        the ``ACCORD_*`` auth settings (runtime.auth; a ValueError)
        ├── FaultConfigError         the fault configuration (runtime.faults; a ValueError)
        ├── DatabaseUrlError         a database URL (sql.urls; a ValueError)
        ├── MigrationError           migrations run in a child process (sql.migrations)
        ├── ReadOnlyViolation        a write in a unit of work that only reads (sql.reading)
        ├── TracingConfigError       an ``OTEL_*`` variable (observability.tracing)
        ├── InvalidLine              a line of a span file (observability.otlp_json)
        ├── ProjectError             ``accord.toml`` (project)
        ├── StartError               a service that does not start (processes)
        ├── ServeError               what `accord serve` was asked to serve (cli.serving)
        ├── AlreadyRunning           the run file's `accord up` still runs (runfile)
        ├── SpecError                an OpenAPI document (compat)
        ├── ReleaseError             a release (release.store)
        ├── SLOError                 an objective (slo.objectives)
        ├── AdvisoryError            an advisory folder (advisories.osv)
        ├── ConcurrencyConflict      a write a concurrent transaction won: retry the work (ports)
        ├── ChaosError               a chaos run that cannot go on (chaos)
        ├── FlagSettingsError        a flag provider's settings (flags.source)
        ├── FlagFileError            a flag file (flags.files)
        ├── EnvoyError               Envoy not found, not started or not ready (dataplane.process)
        ├── RolloutError             a rollout's input or system (rollout.system)
        ├── RolloutBusy              another rollout of the service runs (rollout.state)
        ├── CandidateFailed          the candidate is to be rolled back (rollout.runner)
        ├── RenderError              what cannot be rendered for Kubernetes (deploy.errors)
        ├── Problem                  an answer of the console's own API (console.api)
        ├── UnknownTrace, AmbiguousTrace  a trace id prefix (console.spans)
        ├── CertError, KeyStoreError certificates and signing keys (security)
        ├── ClientKeyError           a client's own key pair (security.clientkeys)
        ├── InvalidSpiffeId          a SPIFFE id (security.spiffe)
        ├── PeerRejected             a peer's certificate (security.spiffe)
        ├── InvalidToken             an access token (security.tokens)
        │   └── InvalidAssertion     a client assertion, RFC 7523 (security.assertions)
        └── ClientDisconnected       the caller went away mid-request (runtime.requests)

Every non-2xx answer at the boundary is an RFC 9457 problem document built from a
``ServiceError``; the table from error class to wire lives in the class itself (its
``code``, ``status`` and ``retryable``), declared once in the contract.
"""

from __future__ import annotations

import re
import typing
from typing import Any, ClassVar, Generic, Self, TypeVar

import msgspec

__all__ = [
    "AccordError",
    "BadRequest",
    "CertificateMismatch",
    "ClientError",
    "ContractError",
    "DeadlineExceeded",
    "DuplicateHeader",
    "FieldError",
    "Forbidden",
    "HeadersTooLarge",
    "IdempotencyKeyInUse",
    "IdempotencyKeyRequired",
    "IdempotencyKeyReused",
    "InternalError",
    "MethodNotAllowed",
    "NotFound",
    "PayloadTooLarge",
    "RemoteError",
    "ServiceError",
    "Timeout",
    "TooManyRequests",
    "TransportError",
    "Unauthenticated",
    "Unavailable",
    "UnexpectedResponse",
    "UnsupportedMediaType",
    "ValidationDetails",
    "ValidationFailed",
]

InfoT = TypeVar("InfoT")

#: Members of a problem document that a typed detail may not reuse.
RESERVED_MEMBERS = frozenset(
    {"type", "title", "status", "detail", "instance", "code", "trace_id", "correlation_id"}
)
_CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")


class AccordError(Exception):
    """Root of every error accord raises."""


class ContractError(AccordError):
    """A contract, operation or implementation is declared wrongly (raised at start-up)."""


class ServiceError(AccordError, Generic[InfoT]):
    """A declared error: a stable ``code``, an HTTP ``status`` and a ``retryable`` flag.

    Declare one per failure a client can act on, with typed detail when it helps::

        class OutOfStockInfo(msgspec.Struct):
            sku: str
            available: int

        class OutOfStock(ServiceError[OutOfStockInfo], code="inventory.out_of_stock", status=409):
            \"\"\"Not enough stock to reserve.\"\"\"

        raise OutOfStock("only 2 left", OutOfStockInfo(sku="SKU-1", available=2))

    The class docstring's first line is the problem's ``title``. The fields of ``info``
    travel as extension members of the problem document (RFC 9457 §3.2).
    """

    code: ClassVar[str] = "internal"
    status: ClassVar[int] = 500
    #: Response headers the answer carries besides the problem document
    #: (``Retry-After``, ``WWW-Authenticate``), as ``(lower-case name, value)`` bytes.
    headers: list[tuple[bytes, bytes]] | None = None
    retryable: ClassVar[bool] = False
    title: ClassVar[str] = "Internal error"
    info_type: ClassVar[type[Any] | None] = None

    def __init_subclass__(
        cls,
        *,
        code: str | None = None,
        status: int | None = None,
        retryable: bool | None = None,
        title: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if code is not None:
            if not _CODE.match(code):
                raise ContractError(
                    f"error code {code!r} of {cls.__name__} must be dotted snake_case"
                )
            cls.code = code
        if status is not None:
            if not 400 <= status <= 599:
                raise ContractError(f"status {status} of {cls.__name__} is not 4xx or 5xx")
            cls.status = status
        if retryable is not None:
            cls.retryable = retryable
        doc = (cls.__doc__ or "").strip().splitlines()
        cls.title = title or (doc[0].strip() if doc else cls.__name__)
        for base in getattr(cls, "__orig_bases__", ()):
            if typing.get_origin(base) is ServiceError:
                (arg,) = typing.get_args(base)
                if isinstance(arg, type) and arg is not type(None):
                    clash = RESERVED_MEMBERS & set(getattr(arg, "__struct_fields__", ()))
                    if clash:
                        raise ContractError(
                            f"{cls.__name__}: info fields {sorted(clash)} clash with "
                            "problem members"
                        )
                    cls.info_type = arg

    def __init__(self, detail: str | None = None, info: InfoT | None = None) -> None:
        self.detail = detail or self.title
        self.info = info
        #: The whole problem document, when a client raised this from a response.
        self.problem: dict[str, Any] | None = None
        super().__init__(self.detail)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, detail={self.detail!r})"

    def with_header(self, name: str, value: str) -> Self:
        """Send ``name: value`` with this error's answer (``Retry-After``, ``WWW-Authenticate``)."""
        self.headers = [
            *(self.headers or ()),
            (name.lower().encode("latin-1"), value.encode("latin-1")),
        ]
        return self

    def extensions(self) -> dict[str, Any]:
        """The problem's extension members (the fields of ``info``)."""
        if self.info is None:
            return {}
        data = msgspec.to_builtins(self.info)
        return data if isinstance(data, dict) else {"info": data}


class FieldError(msgspec.Struct, frozen=True):
    """One invalid value: where it is (``$.items[0].qty``) and what is wrong with it."""

    path: str
    message: str


class ValidationDetails(msgspec.Struct, frozen=True):
    """Detail of a 422: every invalid value found."""

    errors: list[FieldError]


class ValidationFailed(ServiceError[ValidationDetails], code="validation_failed", status=422):
    """Request validation failed"""


class BadRequest(ServiceError[None], code="bad_request", status=400):
    """Bad request"""


class DuplicateHeader(ServiceError[None], code="duplicate_header", status=400):
    """A header that may appear once was repeated"""


class IdempotencyKeyRequired(ServiceError[None], code="idempotency_key_required", status=400):
    """An Idempotency-Key header is required"""


class Unauthenticated(ServiceError[None], code="unauthenticated", status=401):
    """Authentication required"""


class CertificateMismatch(Unauthenticated, code="certificate_mismatch"):
    """The token is bound to another certificate"""


class Forbidden(ServiceError[None], code="forbidden", status=403):
    """Forbidden"""


class IdempotencyKeyInUse(
    ServiceError[None], code="idempotency_key_in_use", status=409, retryable=True
):
    """A request with this Idempotency-Key is still in progress"""


class IdempotencyKeyReused(ServiceError[None], code="idempotency_key_reused", status=422):
    """This Idempotency-Key was used for a different request"""


class TooManyRequests(ServiceError[None], code="rate_limited", status=429, retryable=True):
    """Too many requests"""


class HeadersTooLarge(ServiceError[None], code="headers_too_large", status=431):
    """Request header fields too large"""


class NotFound(ServiceError[None], code="not_found", status=404):
    """Not found"""


class MethodNotAllowed(ServiceError[None], code="method_not_allowed", status=405):
    """Method not allowed"""


class PayloadTooLarge(ServiceError[None], code="payload_too_large", status=413):
    """Payload too large"""


class UnsupportedMediaType(ServiceError[None], code="unsupported_media_type", status=415):
    """Unsupported media type"""


class InternalError(ServiceError[None], code="internal", status=500):
    """Internal error"""


class Unavailable(ServiceError[None], code="unavailable", status=503, retryable=True):
    """Service unavailable"""


class DeadlineExceeded(ServiceError[None], code="deadline_exceeded", status=504, retryable=True):
    """Deadline exceeded"""


#: Errors any operation may answer, whatever its contract declares.
STANDARD_ERRORS: tuple[type[ServiceError[Any]], ...] = (
    BadRequest,
    DuplicateHeader,
    IdempotencyKeyRequired,
    Unauthenticated,
    CertificateMismatch,
    Forbidden,
    ValidationFailed,
    IdempotencyKeyReused,
    NotFound,
    MethodNotAllowed,
    IdempotencyKeyInUse,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    HeadersTooLarge,
    InternalError,
    Unavailable,
    DeadlineExceeded,
)


class ClientError(AccordError):
    """A typed client could not return a response or a declared error."""


class TransportError(ClientError):
    """The call got no response: connection refused or reset, a read or write failed."""


class Timeout(TransportError):
    """The operation's time ran out before a response arrived."""


class UnexpectedResponse(ClientError):
    """The response broke the contract: wrong content type, or a body that fails its schema."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RemoteError(ClientError):
    """A problem document whose code the contract does not declare.

    Carries the whole problem so nothing the server said is lost.
    """

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        self.code: str = str(problem.get("code", "unknown"))
        self.detail: str = str(problem.get("detail", problem.get("title", "")))
        self.retryable = status in (429, 503)
        super().__init__(f"{status} {self.code}: {self.detail}")
