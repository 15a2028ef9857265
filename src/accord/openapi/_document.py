"""A contract as one OpenAPI 3.1 document, and its stable JSON encoding."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from accord.contract import Contract, Idempotency
from accord.openapi._deprecation import deprecation_header_components, service_members
from accord.openapi._operations import (
    header_components,
    operation_object,
    parameter_components,
    schema_key,
    security_schemes,
)
from accord.openapi._problems import (
    PROBLEM,
    InfoMembers,
    catalogue,
    catalogue_entry,
    info_members,
    operation_errors,
    problem_schema,
)
from accord.openapi._schemas import generate

__all__ = ["OPENAPI_VERSION", "document", "render"]

OPENAPI_VERSION = "3.1.0"


def document(contract: type[Contract]) -> dict[str, Any]:
    """The OpenAPI 3.1.0 document of ``contract``, as plain JSON-ready data.

    Raises :class:`~accord.errors.ContractError` when two different message types share
    a schema name, or two error classes give one code different meanings.
    """
    ops = list(contract.operations.values())
    errors = catalogue(contract)

    types: dict[tuple[str, str, str], Any] = {}
    for op in ops:
        fields = {f.name: f.type for f in msgspec.structs.fields(op.request)}
        for name in (*op.path_params, *op.query_params):
            types[schema_key(op, "param", name)] = fields[name]
        if op.body_type is not None:
            types[schema_key(op, "body")] = op.body_type
        types[schema_key(op, "response")] = op.response
    for code, err in errors.items():
        if err.info_type is not None:
            types[_info_key(code)] = err.info_type
    schemas, components = generate(types, reserved={PROBLEM: "the problem document schema"})
    components[PROBLEM] = problem_schema()

    infos: dict[str, InfoMembers] = {
        code: info_members(schemas[_info_key(code)], components)
        for code, err in errors.items()
        if err.info_type is not None
    }
    paths: dict[str, dict[str, Any]] = {}
    for op in ops:
        paths.setdefault(op.path, {})[op.method.lower()] = operation_object(
            op, tag=contract.name, schemas=schemas, errors=operation_errors(op), infos=infos
        )

    info: dict[str, Any] = {"title": contract.title, "version": contract.version}
    if contract.description:
        info["description"] = contract.description
    deprecation = contract.deprecation
    if deprecation is not None and deprecation.sunset is not None:
        info["x-sunset"] = deprecation.sunset.isoformat()
    tag: dict[str, Any] = {"name": contract.name}
    if contract.description:
        tag["description"] = contract.description
    needs_key = any(op.idempotency is Idempotency.REQUIRES_KEY for op in ops)
    shared: dict[str, Any] = {
        "schemas": {name: components[name] for name in sorted(components)},
        "parameters": parameter_components(idempotency_key=needs_key),
        "headers": header_components() | deprecation_header_components(deprecation),
    }
    scopes = sorted({scope for op in ops for scope in op.scopes})
    if scopes:
        shared["securitySchemes"] = security_schemes(scopes)
    return {
        "openapi": OPENAPI_VERSION,
        "info": info,
        "tags": [tag],
        "paths": paths,
        "components": shared,
        "x-accord-service": {
            "name": contract.name,
            "version": contract.version,
            "major": contract.major(),
            **service_members(deprecation),
        },
        "x-accord-errors": {
            code: catalogue_entry(err, schemas.get(_info_key(code))) for code, err in errors.items()
        },
    }


def render(contract: type[Contract]) -> bytes:
    """The document as stable JSON: UTF-8, 2-space indent, a trailing newline.

    Keys keep the document's own order (``openapi``, ``info``, ``paths``, …), which is
    fixed by the contract's declaration order, so the bytes are the same on every run.
    """
    text = json.dumps(document(contract), indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def _info_key(code: str) -> tuple[str, str, str]:
    """The schema key of an error's info type (no operation is named ``""``)."""
    return ("", "info", code)
