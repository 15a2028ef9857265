"""Contracts: what a service offers, declared in Python.

A contract names a service and its semantic version, and lists its operations::

    class Inventory(Contract, name="inventory", version="1.0.0"):
        \"\"\"Stock of every SKU.\"\"\"

        reserve = operation(
            ReserveStock, Reservation,
            method="POST", path="/reservations", status=201,
            idempotency=Idempotency.REQUIRES_KEY, timeout=2.0,
            scopes=("inventory:reserve",), errors=(OutOfStock, UnknownSku),
        )

The same class is the typed client: ``Inventory.client(url)`` returns an ``Inventory``
whose attributes are async callables (``await inv.reserve(ReserveStock(...))``), and the
runtime serves an implementation whose methods carry the operations' names.

Every operation is bound to HTTP under ``/v<major>``: path parameters come from the
request fields named in the path template; for ``GET`` and ``DELETE`` the remaining
fields are query parameters; otherwise they are the JSON body.

A major version that a newer one replaces is declared deprecated, with the date it
stops being served and where its successor is described::

    class Orders(Contract, name="orders", version="1.1.0",
                 deprecated=date(2026, 11, 27), sunset=date(2027, 6, 30),
                 successor="/v2/openapi.json"):
        ...

Its document marks every operation deprecated, and every answer of its operations
carries the ``Deprecation``, ``Sunset`` and ``Link`` headers (see :class:`Deprecation`).
"""

from __future__ import annotations

import datetime
import enum
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, overload

import msgspec
import msgspec.inspect as mi

from accord._patterns import pattern_check
from accord._structs import (
    _details,
    _is_scalar,
    _is_scalar_list,
    _quote,
    _struct_subset,
    _struct_without,
    validation_failed,
)
from accord.deprecation import Deprecation
from accord.errors import STANDARD_ERRORS, ContractError, ServiceError, ValidationFailed

if TYPE_CHECKING:
    from accord.client import ClientCore
    from accord.observability.telemetry import Telemetry
    from accord.resilience import BreakerConfig, BulkheadConfig, RetryPolicy

__all__ = [
    "BoundOperation",
    "Contract",
    "Deprecation",
    "Idempotency",
    "Operation",
    "Secret",
    "operation",
    "secret_fields",
]

ReqT = TypeVar("ReqT", bound=msgspec.Struct)
RespT = TypeVar("RespT", bound=msgspec.Struct)
C = TypeVar("C", bound="Contract")

_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_PARAM = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
_BODYLESS = frozenset({"GET", "DELETE"})
#: A URI reference that fits between ``<`` and ``>`` in a ``Link`` header.


class _Unset(enum.Enum):
    UNSET = "UNSET"


#: Marks "use the operation's own default", distinct from ``None`` (which means "no limit").
UNSET = _Unset.UNSET


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

    Build it with :func:`operation`; its ``name`` is the attribute it is assigned to.
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
        fields = {f.name: f for f in msgspec.structs.fields(self.request)}
        self.path_params = tuple(_PARAM.findall(self.local_path))
        for p in self.path_params:
            if p not in fields:
                raise ContractError(
                    f"{name}: path parameter {{{p}}} is not a field of {self.request.__name__}"
                )
            if not _is_scalar(fields[p].type):
                raise ContractError(f"{name}: path parameter {{{p}}} must be a scalar")
        rest = [f for n, f in fields.items() if n not in self.path_params]
        if self.method in _BODYLESS:
            for f in rest:
                if not _is_scalar(f.type) and not _is_scalar_list(f.type):
                    raise ContractError(
                        f"{name}: {self.method} field {f.name!r} must be a scalar or a "
                        "list of scalars (it travels in the query string)"
                    )
            self.query_params: tuple[str, ...] = tuple(f.name for f in rest)
            self.body_type: type[msgspec.Struct] | None = None
        else:
            self.query_params = ()
            self.body_type = (
                self.request
                if not self.path_params
                else _struct_without(self.request, self.path_params, suffix="Body")
            )
        self._params_type = (
            _struct_subset(self.request, self.path_params + self.query_params, suffix="Params")
            if self.path_params or self.query_params
            else None
        )
        self._list_params = frozenset(
            f.name for f in rest if self.method in _BODYLESS and _is_scalar_list(f.type)
        )
        self._body_decoder = (
            msgspec.json.Decoder(self.body_type) if self.body_type is not None else None
        )
        self._response_decoder = msgspec.json.Decoder(self.response)
        # Patterns match the whole string, as the exported JSON Schema says (_patterns).
        self._request_patterns = pattern_check(self.request)
        self._response_patterns = pattern_check(self.response)
        self.summary = self.summary or name.replace("_", " ").capitalize()

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
        values: dict[str, Any] = {}
        if self._params_type is not None:
            raw = {
                k: (v if k in self._list_params or not isinstance(v, list) else v[-1])
                for k, v in params.items()
                if k in self._params_type.__struct_fields__
            }
            try:
                values = msgspec.structs.asdict(
                    msgspec.convert(raw, self._params_type, strict=False)
                )
            except msgspec.ValidationError as exc:
                raise validation_failed(exc) from None
        if self._body_decoder is not None:
            try:
                body_obj = self._body_decoder.decode(body or b"{}")
            except msgspec.ValidationError as exc:
                raise validation_failed(exc) from None
            except msgspec.DecodeError as exc:
                raise ValidationFailed(
                    "request body is not valid JSON",
                    _details("$", str(exc)),
                ) from None
            if not values:
                return self._whole(body_obj)  # type: ignore[arg-type]
            values.update(msgspec.structs.asdict(body_obj))
        try:
            request = self.request(**values)
        except (TypeError, msgspec.ValidationError) as exc:  # pragma: no cover - defensive
            raise ValidationFailed(str(exc), _details("$", str(exc))) from None
        return self._whole(request)

    def _whole(self, request: ReqT) -> ReqT:
        """``request``, once its strings match their patterns whole (else a 422)."""
        if self._request_patterns is not None:
            try:
                self._request_patterns(request)
            except msgspec.ValidationError as exc:
                raise validation_failed(exc) from None
        return request

    def encode_request(self, request: ReqT) -> tuple[str, dict[str, Any], bytes | None]:
        """Split a request into (concrete path, query parameters, JSON body or None)."""
        path = self.path
        if self.path_params:
            for p in self.path_params:
                path = path.replace("{" + p + "}", _quote(str(getattr(request, p))))
        query: dict[str, Any] = {}
        for q in self.query_params:
            value = getattr(request, q)
            if value is None:
                continue
            query[q] = msgspec.to_builtins(value)
        body: bytes | None = None
        if self.body_type is not None:
            if self.body_type is self.request:
                body = msgspec.json.encode(request)
            else:
                data = msgspec.structs.asdict(request)
                for p in self.path_params:
                    data.pop(p, None)
                body = msgspec.json.encode(data)
        return path, query, body

    def decode_response(self, body: bytes) -> RespT:
        """Decode and validate a response body (raises ``msgspec.ValidationError``)."""
        response: RespT = self._response_decoder.decode(body)
        if self._response_patterns is not None:
            self._response_patterns(response)
        return response

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


class BoundOperation(Generic[ReqT, RespT]):
    """An operation bound to a client: ``await client.op(request)``."""

    __slots__ = ("_core", "operation")

    def __init__(self, op: Operation[ReqT, RespT], core: ClientCore) -> None:
        self.operation = op
        self._core = core

    async def __call__(
        self,
        request: ReqT,
        /,
        *,
        timeout: float | _Unset | None = UNSET,
        idempotency_key: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> RespT:
        """Call the operation; ``timeout`` overrides the operation's (``None``: no limit)."""
        return await self._core.call(
            self.operation,
            request,
            timeout=timeout,
            idempotency_key=idempotency_key,
            headers=headers,
        )


def operation(
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
) -> Operation[ReqT, RespT]:
    """Declare an operation inside a :class:`Contract` body.

    Without ``method``/``path`` the binding is ``GET /<name>`` for a read-only operation
    whose fields are all scalars, and ``POST /<name>`` otherwise (underscores become
    dashes). ``timeout`` is the default time a client gives the call, in seconds.
    """
    return Operation(
        request,
        response,
        method=method,
        path=path,
        status=status,
        idempotency=idempotency,
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
            key = (op.method, _PARAM.sub("{}", op.local_path))
            if key in routes:
                raise ContractError(
                    f"{name}: operations {routes[key]} and {op.name} share {op.method} "
                    f"{op.local_path}"
                )
            routes[key] = op.name
        cls.operations = ops

    def __init__(self, core: ClientCore) -> None:
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
    ) -> C:
        """A typed client of this contract at ``base_url``.

        ``transport`` is an ``httpx.AsyncBaseTransport`` (``httpx.ASGITransport(app)`` runs
        a service in-process); ``timeout`` overrides every operation's default;
        ``telemetry`` is the calling service's (spans, metrics, logs; none when omitted).
        ``retry``, ``breaker`` and ``bulkhead`` replace the client's resilience defaults
        (``None`` turns one off; see ``docs/clients.md``).
        Close it with ``await c.aclose()``
        or use ``async with``.
        """
        from accord.client import ClientCore

        core = ClientCore(
            cls,
            base_url,
            transport=transport,
            headers=headers,
            timeout=timeout,
            telemetry=telemetry,
            retry=retry,
            breaker=breaker,
            bulkhead=bulkhead,
        )
        return cls(core)

    async def aclose(self) -> None:
        """Close the client's connections."""
        await self._core.aclose()

    async def __aenter__(self: C) -> C:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


#: Marks a field secret: ``card_token: Annotated[str, Secret]`` (with other ``Meta``
#: constraints alongside). Its value never appears in logs or span attributes, and the
#: OpenAPI document says ``x-accord-secret: true`` on its schema.
Secret = msgspec.Meta(extra={"secret": True}, extra_json_schema={"x-accord-secret": True})


_SECRET_FIELDS: dict[type[msgspec.Struct], frozenset[str]] = {}


def secret_fields(struct: type[msgspec.Struct]) -> frozenset[str]:
    """The wire names of the fields marked :data:`Secret` in ``struct`` and the structs it holds."""
    known = _SECRET_FIELDS.get(struct)
    if known is not None:
        return known
    found: set[str] = set()
    seen: set[type] = set()

    def visit(t: mi.Type) -> bool:
        secret = False
        while isinstance(t, mi.Metadata):
            secret = secret or bool((t.extra or {}).get("secret"))
            t = t.type
        if isinstance(t, mi.StructType) and t.cls not in seen:
            seen.add(t.cls)
            for f in t.fields:
                if visit(f.type):
                    found.add(f.encode_name)
        elif isinstance(t, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
            secret = visit(t.item_type) or secret
        elif isinstance(t, mi.DictType):
            secret = visit(t.value_type) or secret
        elif isinstance(t, mi.UnionType):
            for member in t.types:
                secret = visit(member) or secret
        return secret

    visit(mi.type_info(struct))
    known = _SECRET_FIELDS[struct] = frozenset(found)
    return known
