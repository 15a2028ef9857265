"""One operation of a contract as an OpenAPI Operation Object.

The binding (method, path, which fields are path or query parameters, which travel in
the body) is decided by :class:`accord.contract.Operation`; this module only describes
it, so the document and the wire cannot disagree.
"""

from __future__ import annotations

import http
from collections.abc import Mapping
from typing import Any

import msgspec

from accord.contract import Idempotency, Operation
from accord.errors import ServiceError
from accord.openapi._deprecation import deprecation_header_refs, operation_members
from accord.openapi._problems import InfoMembers, error_responses

__all__ = [
    "BEARER",
    "CORRELATION_ID",
    "IDEMPOTENCY_KEY",
    "OAUTH2",
    "TOKEN_URL",
    "header_components",
    "operation_object",
    "parameter_components",
    "schema_key",
    "security_schemes",
]

CORRELATION_ID = "CorrelationId"
IDEMPOTENCY_KEY = "IdempotencyKey"
#: The security schemes every operation with scopes names, either of them enough.
OAUTH2 = "OAuth2"
BEARER = "BearerJWT"
#: Where a service obtains its token (the identity service's token endpoint), as a
#: reference relative to the identity service's base URL.
TOKEN_URL = "/v1/token"  # noqa: S105 - an address, not a secret

_JSON = "application/json"
_CORRELATION_HEADER = {"X-Correlation-ID": {"$ref": f"#/components/headers/{CORRELATION_ID}"}}


def schema_key(op: Operation[Any, Any], part: str, field: str = "") -> tuple[str, str, str]:
    """The key under which the schema of one part of ``op`` is generated."""
    return (op.name, part, field)


def parameter_components(*, idempotency_key: bool) -> dict[str, Any]:
    """``components/parameters``: the headers operations share, referenced by ``$ref``."""
    params: dict[str, Any] = {
        CORRELATION_ID: {
            "name": "X-Correlation-ID",
            "in": "header",
            "required": False,
            "description": (
                "Ties together every request made on behalf of one action; created by the "
                "service when absent and returned in the response."
            ),
            "schema": {"type": "string"},
        }
    }
    if idempotency_key:
        params[IDEMPOTENCY_KEY] = {
            "name": "Idempotency-Key",
            "in": "header",
            "required": True,
            "description": (
                "A key unique to one intended action: a request sent again with the same "
                "key has the effect of the first one. Visible ASCII, at most 255 "
                "characters (a UUID is a good key)."
            ),
            "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
        }
    return params


def header_components() -> dict[str, Any]:
    """``components/headers``: the response headers every operation sends."""
    return {
        CORRELATION_ID: {
            "description": "The request's correlation id, or the one the service created.",
            "schema": {"type": "string"},
        }
    }


def security_schemes(scopes: list[str]) -> dict[str, Any]:
    """``components/securitySchemes``: OAuth 2 client credentials and bearer JWTs.

    ``scopes`` are every scope the contract's operations name, listed by the OAuth 2
    flow. Both schemes describe the same access token (``Authorization: Bearer``), a JWT
    signed by the project's token issuer: a service obtains it with client credentials, a
    customer by logging in.
    """
    return {
        OAUTH2: {
            "type": "oauth2",
            "description": (
                "A service's access token, from the token issuer's token endpoint "
                "(client credentials grant); an operation needs every scope it lists."
            ),
            "flows": {
                "clientCredentials": {
                    "tokenUrl": TOKEN_URL,
                    "scopes": {scope: f"allows what needs {scope}" for scope in scopes},
                }
            },
        },
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                "An access token (RFC 9068, typ at+jwt) issued by the token issuer, to a "
                "customer or a service; an operation needs every scope it lists."
            ),
        },
    }


def operation_object(
    op: Operation[Any, Any],
    *,
    tag: str,
    schemas: Mapping[tuple[str, str, str], Mapping[str, Any]],
    errors: list[type[ServiceError[Any]]],
    infos: Mapping[str, InfoMembers],
) -> dict[str, Any]:
    """The Operation Object of ``op``; ``schemas`` holds every part's generated schema."""
    obj: dict[str, Any] = {"tags": [tag], "summary": op.summary}
    if op.description:
        obj["description"] = op.description
    obj["operationId"] = op.name
    deprecation = op.contract.deprecation
    if op.deprecated:
        obj["deprecated"] = True
    obj.update(operation_members(deprecation))
    obj["parameters"] = _parameters(op, schemas)
    if op.body_type is not None:
        required = any(
            f.required for f in msgspec.structs.fields(op.body_type)
        )  # a body of optional fields may be left out
        obj["requestBody"] = {
            "required": required,
            "content": {_JSON: {"schema": dict(schemas[schema_key(op, "body")])}},
        }
    headers = _CORRELATION_HEADER | deprecation_header_refs(deprecation)
    success = {
        str(op.status): {
            "description": http.HTTPStatus(op.status).phrase,
            "headers": dict(headers),
            "content": {_JSON: {"schema": dict(schemas[schema_key(op, "response")])}},
        }
    }
    obj["responses"] = success | error_responses(errors, infos, headers)
    if op.scopes:
        obj["security"] = [{OAUTH2: list(op.scopes)}, {BEARER: list(op.scopes)}]
    obj["x-accord-idempotency"] = op.idempotency.value
    obj["x-accord-timeout"] = op.timeout
    obj["x-accord-scopes"] = list(op.scopes)
    obj["x-accord-retryable-codes"] = [e.code for e in errors if e.retryable]
    obj["x-accord-errors"] = [e.code for e in errors]
    return obj


def _parameters(
    op: Operation[Any, Any], schemas: Mapping[tuple[str, str, str], Mapping[str, Any]]
) -> list[dict[str, Any]]:
    fields = {f.name: f for f in msgspec.structs.fields(op.request)}
    params: list[dict[str, Any]] = []
    for name in op.path_params:
        params.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": dict(schemas[schema_key(op, "param", name)]),
            }
        )
    for name in op.query_params:
        field = fields[name]
        schema = dict(schemas[schema_key(op, "param", name)])
        default = _default(field)
        if default is not None:
            schema["default"] = default
        param: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": field.required,
            "schema": schema,
        }
        if _is_array(schema):
            param["style"] = "form"
            param["explode"] = True
        params.append(param)
    if op.idempotency is Idempotency.REQUIRES_KEY:
        params.append({"$ref": f"#/components/parameters/{IDEMPOTENCY_KEY}"})
    params.append({"$ref": f"#/components/parameters/{CORRELATION_ID}"})
    return params


def _is_array(schema: Mapping[str, Any]) -> bool:
    """Whether a parameter's schema is a list, possibly one that may also be null."""
    if schema.get("type") == "array":
        return True
    return any(_is_array(s) for s in schema.get("anyOf", ()))


def _default(field: msgspec.structs.FieldInfo) -> Any:
    """The field's default as JSON data; ``None`` when it has none (or it is null)."""
    if field.default is not msgspec.NODEFAULT:
        return msgspec.to_builtins(field.default)
    if field.default_factory is not msgspec.NODEFAULT:
        return msgspec.to_builtins(field.default_factory())
    return None
