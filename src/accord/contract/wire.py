"""The wire codec of one operation: where each request field travels, and the decoding.

Path parameters come from the request fields named in the path template; for ``GET``
and ``DELETE`` the remaining fields are query parameters (scalars or lists of scalars);
otherwise they are the JSON body. The runtime decodes requests and encodes responses
with it, the client the other way round, so both read the same bytes the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

import msgspec

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
from accord.errors import ContractError, ValidationFailed

__all__ = ["BODYLESS", "PARAM", "Wire"]

ReqT = TypeVar("ReqT", bound=msgspec.Struct)
RespT = TypeVar("RespT", bound=msgspec.Struct)

#: A parameter of a path template: ``{sku}``.
PARAM = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")
#: Methods whose request has no body: the fields that are not in the path are the query.
BODYLESS = frozenset({"GET", "DELETE"})


class Wire(Generic[ReqT, RespT]):
    """How the request and response of the operation ``name`` travel over HTTP.

    Raises :class:`ContractError` when the request type cannot be bound to ``method``
    and ``local_path`` (a path parameter that is not a scalar field, a structured field
    of a ``GET``).
    """

    def __init__(
        self, name: str, request: type[ReqT], response: type[RespT], method: str, local_path: str
    ) -> None:
        self.request = request
        fields = {f.name: f for f in msgspec.structs.fields(request)}
        self.path_params: tuple[str, ...] = tuple(PARAM.findall(local_path))
        for p in self.path_params:
            if p not in fields:
                raise ContractError(
                    f"{name}: path parameter {{{p}}} is not a field of {request.__name__}"
                )
            if not _is_scalar(fields[p].type):
                raise ContractError(f"{name}: path parameter {{{p}}} must be a scalar")
        rest = [f for n, f in fields.items() if n not in self.path_params]
        self.query_params: tuple[str, ...] = ()
        self.body_type: type[msgspec.Struct] | None = None
        if method in BODYLESS:
            for f in rest:
                if not _is_scalar(f.type) and not _is_scalar_list(f.type):
                    raise ContractError(
                        f"{name}: {method} field {f.name!r} must be a scalar or a "
                        "list of scalars (it travels in the query string)"
                    )
            self.query_params = tuple(f.name for f in rest)
        else:
            self.body_type = (
                request
                if not self.path_params
                else _struct_without(request, self.path_params, suffix="Body")
            )
        self._params_type = (
            _struct_subset(request, self.path_params + self.query_params, suffix="Params")
            if self.path_params or self.query_params
            else None
        )
        self._list_params = frozenset(
            f.name for f in rest if method in BODYLESS and _is_scalar_list(f.type)
        )
        self._body_decoder = (
            msgspec.json.Decoder(self.body_type) if self.body_type is not None else None
        )
        self._response_decoder = msgspec.json.Decoder(response)
        # Patterns match the whole string, as the exported JSON Schema says (_patterns).
        self._request_patterns = pattern_check(request)
        self._response_patterns = pattern_check(response)

    def decode_request(self, params: Mapping[str, str | list[str]], body: bytes | None) -> ReqT:
        """Build the request from path/query parameters and the raw JSON body.

        Raises :class:`ValidationFailed` pointing at the bad value.
        """
        values = self._decode_params(params)
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

    def _decode_params(self, params: Mapping[str, str | list[str]]) -> dict[str, Any]:
        """The path and query fields, converted to their types (a list only where declared)."""
        if self._params_type is None:
            return {}
        raw = {
            k: (v if k in self._list_params or not isinstance(v, list) else v[-1])
            for k, v in params.items()
            if k in self._params_type.__struct_fields__
        }
        try:
            return msgspec.structs.asdict(msgspec.convert(raw, self._params_type, strict=False))
        except msgspec.ValidationError as exc:
            raise validation_failed(exc) from None

    def _whole(self, request: ReqT) -> ReqT:
        """``request``, once its strings match their patterns whole (else a 422)."""
        if self._request_patterns is not None:
            try:
                self._request_patterns(request)
            except msgspec.ValidationError as exc:
                raise validation_failed(exc) from None
        return request

    def encode_request(
        self, request: ReqT, path_template: str
    ) -> tuple[str, dict[str, Any], bytes | None]:
        """Split a request into (concrete path, query parameters, JSON body or None)."""
        path = path_template
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
