"""Declaring a contract: the service, its version and its operations.

See :mod:`accord.contract` for the whole picture; :mod:`accord.contract.wire` binds each
operation's fields to HTTP and :mod:`accord.contract.binding` makes a contract's
instance a typed client.
"""

from __future__ import annotations

import datetime
import enum
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, overload

import msgspec

from accord._structs import _is_scalar, _is_scalar_list
from accord.contract.binding import UNSET, BoundOperation, Caller, _Unset, connect
from accord.contract.wire import PARAM, Wire
from accord.deprecation import Deprecation
from accord.errors import STANDARD_ERRORS, ContractError, ServiceError

if TYPE_CHECKING:
    from accord.observability.telemetry import Telemetry
    from accord.resilience import BreakerConfig, BulkheadConfig, RetryPolicy

__all__ = ["Contract", "Idempotency", "Operation", "create", "operation", "read"]

ReqT = TypeVar("ReqT", bound=msgspec.Struct)
RespT = TypeVar("RespT", bound=msgspec.Struct)
R2 = TypeVar("R2", bound=msgspec.Struct)
C = TypeVar("C", bound="Contract")

_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


class Idempotency(enum.StrEnum):
    """How safe it is to send an operation again.

    - ``READ_ONLY``: changes nothing; always safe to retry.
    - ``IDEMPOTENT``: the same request twice has the effect of once.
    - ``REQUIRES_KEY``: safe to retry only with the same ``Idempotency-Key``.
    """

    READ_ONLY = "read_only"
    IDEMPOTENT = "idempotent"
    REQUIRES_KEY = "requires_key"


class Operation(Generic[ReqT, RespT]):
    """One operation of a contract: typed request and response, HTTP binding and policy.

    Build it with :data:`operation` inside a :class:`Contract` body; its ``name`` is the
    attribute it is assigned to. Without ``method``/``path`` the binding is
    ``GET /<name>`` for a read-only operation whose fields are all scalars, and
    ``POST /<name>`` otherwise (underscores become dashes). ``timeout`` is the default
    time a client gives the call, in seconds.
    """

    name: str
    contract: type[Contract]

    def __init__(
        self,
        request: type[ReqT],
        response: type[RespT],
        *,
        method: str | None = None,
        path: str | None = None,
        status: int = 200,
        idempotency: Idempotency = Idempotency.IDEMPOTENT,
        timeout: float = 5.0,
        scopes: Sequence[str] = (),
        errors: Sequence[type[ServiceError[Any]]] = (),
        summary: str | None = None,
        description: str | None = None,
        deprecated: bool = False,
    ) -> None:
        for label, typ in (("request", request), ("response", response)):
            if not (isinstance(typ, type) and issubclass(typ, msgspec.Struct)):
                raise ContractError(f"{label} type must be a msgspec.Struct, got {typ!r}")
        if method is not None and method.upper() not in _METHODS:
            raise ContractError(f"unsupported HTTP method {method!r}")
        if not 200 <= status <= 299:
            raise ContractError(f"success status {status} is not 2xx")
        if timeout <= 0:
            raise ContractError("timeout must be positive")
        for err in errors:
            if not (isinstance(err, type) and issubclass(err, ServiceError)):
                raise ContractError(f"{err!r} is not a ServiceError subclass")
        self.request = request
        self.response = response
        # As declared, before __set_name__ fills in what was left out: with_response().
        self._declared: dict[str, Any] = {
            "method": method,
            "path": path,
            "status": status,
            "idempotency": idempotency,
            "timeout": timeout,
            "scopes": scopes,
            "errors": errors,
            "summary": summary,
            "description": description,
            "deprecated": deprecated,
        }
        self._method = method.upper() if method else None
        self._path = path
        self.status = status
        self.idempotency = Idempotency(idempotency)
        self.timeout = float(timeout)
        self.scopes = tuple(scopes)
        self.errors = tuple(errors)
        self.summary = summary
        self.description = description
        self.deprecated = deprecated

    # -- declaration ---------------------------------------------------------------------

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.method = self._method or (
            "GET" if self.idempotency is Idempotency.READ_ONLY and self._all_scalar() else "POST"
        )
        self.local_path = self._path or "/" + name.replace("_", "-")
        if not self.local_path.startswith("/"):
            raise ContractError(f"{name}: path {self.local_path!r} must start with '/'")
        self.wire: Wire[ReqT, RespT] = Wire(
            name, self.request, self.response, self.method, self.local_path
        )
        self.path_params = self.wire.path_params
        self.query_params = self.wire.query_params
        self.body_type = self.wire.body_type
        self.summary = self.summary or name.replace("_", " ").capitalize()

    def with_response(self, response: type[R2]) -> Operation[ReqT, R2]:
        """The same operation answering ``response``, to declare in another contract.

        A new major version that changes only what an operation answers says so, instead
        of declaring the operation again (its request, binding, policy and errors stay)::

            class OrdersV2(Contract, name="orders", version="2.0.0"):
                get_order = Orders.get_order.with_response(OrderV2)
        """
        return Operation(self.request, response, **self._declared)

    def _all_scalar(self) -> bool:
        return all(
            _is_scalar(f.type) or _is_scalar_list(f.type)
            for f in msgspec.structs.fields(self.request)
        )

    @property
    def path(self) -> str:
        """The full path template, with the contract's ``/v<major>`` prefix."""
        return self.contract.prefix() + self.local_path

    @property
    def declared_errors(self) -> tuple[type[ServiceError[Any]], ...]:
        """This operation's errors followed by the contract's shared ones."""
        seen: dict[str, type[ServiceError[Any]]] = {}
        for err in (*self.errors, *self.contract.errors):
            seen.setdefault(err.code, err)
        return tuple(seen.values())

    @property
    def error_table(self) -> Mapping[str, type[ServiceError[Any]]]:
        """Code → error class for everything this operation may answer."""
        table = {e.code: e for e in STANDARD_ERRORS}
        table.update({e.code: e for e in self.declared_errors})
        return table

    # -- the wire, shared by the runtime and the client ----------------------------------

    def decode_request(self, params: Mapping[str, str | list[str]], body: bytes | None) -> ReqT:
        """Build the request from path/query parameters and the raw JSON body.

        Raises :class:`ValidationFailed` pointing at the bad value.
        """
        return self.wire.decode_request(params, body)

    def encode_request(self, request: ReqT) -> tuple[str, dict[str, Any], bytes | None]:
        """Split a request into (concrete path, query parameters, JSON body or None)."""
        return self.wire.encode_request(request, self.path)

    def decode_response(self, body: bytes) -> RespT:
        """Decode and validate a response body (raises ``msgspec.ValidationError``)."""
        return self.wire.decode_response(body)

    # -- client binding ------------------------------------------------------------------

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Operation[ReqT, RespT]: ...

    @overload
    def __get__(self, instance: Contract, owner: type[Any]) -> BoundOperation[ReqT, RespT]: ...

    def __get__(
        self, instance: Contract | None, owner: type[Any]
    ) -> Operation[ReqT, RespT] | BoundOperation[ReqT, RespT]:
        if instance is None:
            return self
        return BoundOperation(self, instance._core)

    def __repr__(self) -> str:
        return f"<Operation {self.name} {self.method} {self._path or ''}>"


#: Declare an operation inside a :class:`Contract` body: ``operation(Request, Response,
#: method=…, path=…, scopes=…)`` builds the :class:`Operation` (whose docstring says the
#: defaults).
operation = Operation


def read(
    request: type[ReqT],
    response: type[RespT],
    path: str | None = None,
    *,
    timeout: float = 5.0,
    scopes: Sequence[str] = (),
    errors: Sequence[type[ServiceError[Any]]] = (),
    summary: str | None = None,
    description: str | None = None,
    deprecated: bool = False,
) -> Operation[ReqT, RespT]:
    """Declare a read: ``GET path``, read-only (always safe to retry), answering 200.

    ``read(Ref, Item, "/items/{id}", scopes=…)`` is ``operation(Ref, Item,
    method="GET", path="/items/{id}", idempotency=Idempotency.READ_ONLY, scopes=…)``.
    """
    return Operation(
        request,
        response,
        method="GET",
        path=path,
        idempotency=Idempotency.READ_ONLY,
        timeout=timeout,
        scopes=scopes,
        errors=errors,
        summary=summary,
        description=description,
        deprecated=deprecated,
    )


def create(
    request: type[ReqT],
    response: type[RespT],
    path: str | None = None,
    *,
    timeout: float = 5.0,
    scopes: Sequence[str] = (),
    errors: Sequence[type[ServiceError[Any]]] = (),
    summary: str | None = None,
    description: str | None = None,
    deprecated: bool = False,
) -> Operation[ReqT, RespT]:
    """Declare a creation: ``POST path`` answering 201, safe to retry only with the same
    ``Idempotency-Key`` (a retry without one could create twice).

    ``create(NewItem, Item, "/items", scopes=…)`` is ``operation(NewItem, Item,
    method="POST", path="/items", status=201, idempotency=Idempotency.REQUIRES_KEY,
    scopes=…)``.
    """
    return Operation(
        request,
        response,
        method="POST",
        path=path,
        status=201,
        idempotency=Idempotency.REQUIRES_KEY,
        timeout=timeout,
        scopes=scopes,
        errors=errors,
        summary=summary,
        description=description,
        deprecated=deprecated,
    )


class Contract:
    """Base of every contract; subclass it with ``name=`` and ``version=``.

    An instance of a contract is a typed client (see :meth:`client`).

    ``deprecated`` (a date), ``sunset`` (a date) and ``successor`` (a URI reference)
    declare the whole contract deprecated; they become :attr:`deprecation`.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    errors: ClassVar[tuple[type[ServiceError[Any]], ...]] = ()
    operations: ClassVar[Mapping[str, Operation[Any, Any]]] = {}
    #: Set when the contract is deprecated; ``None`` otherwise.
    deprecation: ClassVar[Deprecation | None] = None

    def __init_subclass__(
        cls,
        *,
        name: str,
        version: str,
        title: str | None = None,
        errors: Sequence[type[ServiceError[Any]]] = (),
        deprecated: datetime.date | None = None,
        sunset: datetime.date | None = None,
        successor: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if not _NAME.match(name):
            raise ContractError(f"service name {name!r} must be lowercase kebab-case")
        if not _SEMVER.match(version):
            raise ContractError(f"version {version!r} of {name} is not MAJOR.MINOR.PATCH")
        if deprecated is None:
            if sunset is not None or successor is not None:
                raise ContractError(
                    f"{name} {version}: a sunset or successor needs deprecated=<date>"
                )
            cls.deprecation = None
        else:
            try:
                cls.deprecation = Deprecation(deprecated, sunset=sunset, successor=successor)
            except ContractError as exc:
                raise ContractError(f"{name} {version}: {exc}") from None
        cls.name = name
        cls.version = version
        cls.title = title or name.capitalize()
        cls.description = (cls.__doc__ or "").strip()
        cls.errors = tuple(errors)
        ops: dict[str, Operation[Any, Any]] = {}
        for base in reversed(cls.__mro__[1:]):
            ops.update(getattr(base, "operations", {}))
        for attr, value in vars(cls).items():
            if isinstance(value, Operation):
                value.contract = cls
                ops[attr] = value
        if not ops:
            raise ContractError(f"contract {name} declares no operations")
        routes: dict[tuple[str, str], str] = {}
        for op in ops.values():
            key = (op.method, PARAM.sub("{}", op.local_path))
            if key in routes:
                raise ContractError(
                    f"{name}: operations {routes[key]} and {op.name} share {op.method} "
                    f"{op.local_path}"
                )
            routes[key] = op.name
        cls.operations = ops

    def __init__(self, core: Caller) -> None:
        self._core = core

    @classmethod
    def major(cls) -> int:
        """The major version: the part of the version that changes on a breaking change."""
        return int(cls.version.split(".", 1)[0])

    @classmethod
    def prefix(cls) -> str:
        """The path prefix every operation is served under (``/v1``)."""
        return f"/v{cls.major()}"

    @classmethod
    def client(
        cls: type[C],
        base_url: str,
        *,
        transport: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | _Unset | None = UNSET,
        telemetry: Telemetry | None = None,
        retry: RetryPolicy | _Unset | None = UNSET,
        breaker: BreakerConfig | _Unset | None = UNSET,
        bulkhead: BulkheadConfig | _Unset | None = UNSET,
        auth: Any = None,
    ) -> C:
        """A typed client of this contract at ``base_url``.

        ``transport`` is an ``httpx.AsyncBaseTransport`` (``httpx.ASGITransport(app)`` runs
        a service in-process); ``timeout`` overrides every operation's default;
        ``telemetry`` is the calling service's (spans, metrics, logs; none when omitted).
        ``retry``, ``breaker`` and ``bulkhead`` replace the client's resilience defaults
        (``None`` turns one off; see ``docs/clients.md``). ``auth`` authenticates every
        call as the calling service (``accord.client.auth.BearerAuth``: its own token,
        dropped after a 401). Close it with ``await c.aclose()`` or use ``async with``.
        """
        core = connect(
            cls,
            base_url,
            transport=transport,
            headers=headers,
            timeout=timeout,
            telemetry=telemetry,
            retry=retry,
            breaker=breaker,
            bulkhead=bulkhead,
            **({} if auth is None else {"auth": auth}),
        )
        return cls(core)

    async def aclose(self) -> None:
        """Close the client's connections."""
        await self._core.aclose()

    async def __aenter__(self: C) -> C:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
