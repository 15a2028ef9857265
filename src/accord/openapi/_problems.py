"""Errors in the document: the ``Problem`` schema, error responses and the code catalogue.

Every non-2xx answer is an RFC 9457 problem document. One ``Problem`` component holds
the members they all share; each error response extends it (``allOf``) with the enum of
the codes it may carry and the members of their typed info.

When several errors share a status, their info members are folded into the one response
as optional properties, each saying which code sends it: a single flat type per status is
what every client generator handles well, and ``code`` already tells clients which error
they hold. ``docs/contracts.md`` gives the longer reasoning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from accord.contract import Contract, Idempotency, Operation
from accord.errors import (
    STANDARD_ERRORS,
    CertificateMismatch,
    ContractError,
    DeadlineExceeded,
    DuplicateHeader,
    Forbidden,
    HeadersTooLarge,
    IdempotencyKeyInUse,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    InternalError,
    NotFound,
    PayloadTooLarge,
    ServiceError,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
    UnsupportedMediaType,
    ValidationFailed,
)
from accord.openapi._schemas import REF_PREFIX, ref, resolve

__all__ = [
    "PROBLEM",
    "PROBLEM_JSON",
    "catalogue",
    "catalogue_entry",
    "error_responses",
    "info_members",
    "operation_errors",
    "problem_schema",
]

ErrorClass = type[ServiceError[Any]]

PROBLEM = "Problem"
PROBLEM_JSON = "application/problem+json"

#: Members of one error's info: property schemas and the names that are required.
InfoMembers = tuple[Mapping[str, Any], Sequence[str]]


def problem_schema() -> dict[str, Any]:
    """The ``Problem`` component: RFC 9457 members plus accord's ``code`` and ids."""
    return {
        "title": PROBLEM,
        "description": (
            "An RFC 9457 problem document. `code` is the stable, machine-readable name "
            "of the error; the typed members of each error's info travel next to it."
        ),
        "type": "object",
        "properties": {
            "type": {
                "type": "string",
                "format": "uri-reference",
                "description": "Identifies the problem type (`urn:accord:problem:<code>`).",
            },
            "title": {"type": "string", "description": "Short summary of the problem type."},
            "status": {
                "type": "integer",
                "minimum": 400,
                "maximum": 599,
                "description": "The HTTP status code.",
            },
            "detail": {"type": "string", "description": "What went wrong this time."},
            "instance": {
                "type": "string",
                "format": "uri-reference",
                "description": "The request path the problem occurred at.",
            },
            "code": {"type": "string", "description": "Stable error code."},
            "trace_id": {
                "type": "string",
                "pattern": "^[0-9a-f]{32}$",
                "description": "W3C trace id of the request.",
            },
            "correlation_id": {
                "type": "string",
                "description": "The request's `X-Correlation-ID`.",
            },
        },
        "required": ["type", "title", "status", "detail", "code"],
    }


def operation_errors(op: Operation[Any, Any]) -> list[ErrorClass]:
    """Every error ``op`` may answer: declared ones first, then the standard answers.

    The standard answers are 400 (``duplicate_header``), 422, 429, 431, 500, 503 and 504
    for every operation,
    401 and 403 when it declares scopes, 413 and 415 when it takes a body, 404 when it
    has path parameters, and 400, 409 and 422 (``idempotency_key_reused``) when it
    requires an idempotency key. Sorted by status (stable).
    """
    standard: list[ErrorClass] = [
        DuplicateHeader,
        ValidationFailed,
        TooManyRequests,
        HeadersTooLarge,
        InternalError,
        Unavailable,
        DeadlineExceeded,
    ]
    if op.scopes:
        standard += [Unauthenticated, CertificateMismatch, Forbidden]
    if op.idempotency is Idempotency.REQUIRES_KEY:
        standard += [IdempotencyKeyRequired, IdempotencyKeyInUse, IdempotencyKeyReused]
    if op.body_type is not None:
        standard += [PayloadTooLarge, UnsupportedMediaType]
    if op.path_params:
        standard.append(NotFound)
    found: dict[str, ErrorClass] = {}
    for err in (*op.declared_errors, *standard):
        found.setdefault(err.code, err)
    return sorted(found.values(), key=lambda e: e.status)


def catalogue(contract: type[Contract]) -> dict[str, ErrorClass]:
    """Code → error class of everything the contract's service may answer, by code.

    Raises :class:`ContractError` when two classes give one code different meanings.
    """
    found: dict[str, ErrorClass] = {}
    declared = [e for op in contract.operations.values() for e in op.declared_errors]
    for err in (*STANDARD_ERRORS, *contract.errors, *declared):
        other = found.get(err.code)
        if other is not None and other is not err:
            if (other.status, other.retryable, other.info_type) != (
                err.status,
                err.retryable,
                err.info_type,
            ):
                raise ContractError(
                    f"{contract.name}: error code {err.code!r} is declared by both "
                    f"{_qualified(other)} and {_qualified(err)} with different status, "
                    "retryable flag or info"
                )
            if other in STANDARD_ERRORS:
                found[err.code] = err
            continue
        found[err.code] = err
    return {code: found[code] for code in sorted(found)}


def catalogue_entry(err: ErrorClass, info_schema: Mapping[str, Any] | None) -> dict[str, Any]:
    """One entry of ``x-accord-errors``: status, title, retryable and the info schema."""
    entry: dict[str, Any] = {
        "status": err.status,
        "title": err.title,
        "retryable": err.retryable,
    }
    target = (info_schema or {}).get("$ref")
    if isinstance(target, str) and target.startswith(REF_PREFIX):
        entry["info"] = target
    return entry


def info_members(schema: Mapping[str, Any], components: Mapping[str, Any]) -> InfoMembers:
    """The problem members an info type adds: its properties, or ``info`` for a non-object."""
    target = resolve(schema, components)
    if target.get("type") == "object":
        return dict(target.get("properties", {})), list(target.get("required", []))
    return {"info": dict(schema)}, ["info"]


def error_responses(
    errors: Iterable[ErrorClass],
    infos: Mapping[str, InfoMembers],
    headers: Mapping[str, Any],
) -> dict[str, Any]:
    """Status → response object for ``errors``, one response per status."""
    by_status: dict[int, list[ErrorClass]] = {}
    for err in errors:
        by_status.setdefault(err.status, []).append(err)
    return {
        str(status): {
            "description": "; ".join(e.title for e in group),
            "headers": dict(headers),
            "content": {PROBLEM_JSON: {"schema": _group_schema(group, infos)}},
        }
        for status, group in sorted(by_status.items())
    }


def _group_schema(group: Sequence[ErrorClass], infos: Mapping[str, InfoMembers]) -> dict[str, Any]:
    properties: dict[str, Any] = {"code": {"type": "string", "enum": [e.code for e in group]}}
    required = ["code"]
    if len(group) == 1:
        members, needed = infos.get(group[0].code, ({}, []))
        properties.update(members)
        required += [n for n in needed if n not in required]
    else:
        properties.update(_folded(group, infos))
    return {
        "allOf": [
            ref(PROBLEM),
            {"type": "object", "properties": properties, "required": required},
        ]
    }


def _folded(group: Sequence[ErrorClass], infos: Mapping[str, InfoMembers]) -> dict[str, Any]:
    """Info members of several errors as optional properties naming their codes."""
    variants: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
    for err in group:
        members, _ = infos.get(err.code, ({}, []))
        for name, schema in members.items():
            variants.setdefault(name, []).append((err.code, schema))
    folded: dict[str, Any] = {}
    for name, sent in variants.items():
        distinct: list[Mapping[str, Any]] = []
        for _, schema in sent:
            if schema not in distinct:
                distinct.append(schema)
        merged: dict[str, Any] = dict(distinct[0]) if len(distinct) == 1 else {"anyOf": distinct}
        codes = ", ".join(f"`{code}`" for code, _ in sent)
        note = f"Sent with code {codes}."
        merged["description"] = (
            f"{merged['description']} {note}" if "description" in merged else note
        )
        folded[name] = merged
    return folded


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
