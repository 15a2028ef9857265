"""Operations: matched by method and path template, compared part by part.

Path templates are matched with parameter names ignored (``/pets/{id}`` and
``/pets/{petId}`` are one path); the operation's parameters merge those of its path item
(the operation's own win), as OpenAPI says.
"""

from __future__ import annotations

import re
from typing import Any

from accord.compat.comparing.bodies import compare_request_body, compare_responses
from accord.compat.comparing.callbacks import compare_callbacks
from accord.compat.comparing.context import Context
from accord.compat.comparing.extensions import compare_extensions
from accord.compat.comparing.parameters import compare_parameters, merged_parameters
from accord.compat.comparing.security import compare_security
from accord.compat.comparing.servers import compare_servers, effective_servers
from accord.compat.comparing.stability import compare_stability
from accord.compat.comparing.sunset import compare_sunsets, future_sunset
from accord.compat.loading.document import Spec

__all__ = ["Operation", "compare_operations", "operations"]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PARAM = re.compile(r"\{[^}/]*\}")

#: (METHOD, path template with names ignored) → (path as written, operation, path item)
Operation = tuple[str, dict[str, Any], dict[str, Any]]


def operations(spec: Spec) -> dict[tuple[str, str], Operation]:
    """Every operation of ``spec`` by (method, template with parameter names blanked)."""
    found: dict[tuple[str, str], Operation] = {}
    for path, item in (spec.root.get("paths") or {}).items():
        item = spec.deref(item)
        if not isinstance(item, dict):
            continue
        for method in _METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                found[(method.upper(), _PARAM.sub("{}", path))] = (path, op, item)
    return found


def compare_operations(ctx: Context) -> None:
    """Compare every operation of the base with its match in the revision."""
    before, after = operations(ctx.base), operations(ctx.rev)
    for key, (path, op, _) in before.items():
        if key not in after:
            _removed(ctx, f"{key[0]} {path}", op)
    for key, (path, _op, _) in after.items():
        if key not in before:
            ctx.add("operation-added", f"{key[0]} {path}", "operation", "operation added")
    for key in before.keys() & after.keys():
        _compare(ctx, key[0], before[key], after[key])


def _removed(ctx: Context, name: str, op: dict[str, Any]) -> None:
    if op.get("deprecated") is True:
        date = future_sunset(op)
        if date is not None:
            ctx.add(
                "operation-removed-before-sunset",
                name,
                "operation",
                f"removed before its sunset date {date.isoformat()}",
            )
        else:
            ctx.add(
                "deprecated-operation-removed", name, "operation", "deprecated operation removed"
            )
    else:
        ctx.add("operation-removed", name, "operation", "operation removed")


def _compare(ctx: Context, method: str, b: Operation, r: Operation) -> None:
    name = f"{method} {r[0]}"
    b_path, b_op, b_item = b
    r_path, r_op, r_item = r
    if b_path != r_path:
        ctx.add("path-parameter-renamed", name, "path", f"{b_path} → {r_path}")
    _deprecation(ctx, name, b_op, r_op)
    b_id, r_id = b_op.get("operationId"), r_op.get("operationId")
    if b_id != r_id:
        if b_id is None:
            ctx.add("operation-id-added", name, "operationId", f"operationId {r_id!r} set")
        elif r_id is None:
            ctx.add("operation-id-removed", name, "operationId", f"operationId {b_id!r} removed")
        else:
            ctx.add("operation-id-changed", name, "operationId", f"operationId {b_id!r} → {r_id!r}")
    compare_parameters(
        ctx,
        name,
        _path_names(b_path),
        merged_parameters(ctx.base, b_op, b_item),
        _path_names(r_path),
        merged_parameters(ctx.rev, r_op, r_item),
    )
    compare_request_body(ctx, name, b_op.get("requestBody"), r_op.get("requestBody"))
    compare_responses(ctx, name, b_op.get("responses"), r_op.get("responses"))
    compare_security(ctx, name, b_op, r_op)
    compare_extensions(ctx, name, b_op, r_op)
    compare_callbacks(ctx, name, b_op, r_op)
    if any("servers" in node for node in (b_op, b_item, r_op, r_item)):
        compare_servers(
            ctx,
            name,
            effective_servers(ctx.base.root, b_item, b_op),
            effective_servers(ctx.rev.root, r_item, r_op),
        )


def _deprecation(ctx: Context, name: str, b: dict[str, Any], r: dict[str, Any]) -> None:
    was, now = b.get("deprecated") is True, r.get("deprecated") is True
    if now and not was:
        ctx.add("operation-deprecated", name, "operation", "operation deprecated")
    elif was and not now:
        ctx.add("operation-undeprecated", name, "operation", "operation no longer deprecated")
    compare_sunsets(ctx, "operation", name, "x-sunset", b, r)
    compare_stability(ctx, name, b, r)


def _path_names(path: str) -> list[str]:
    return [m.group(0)[1:-1] for m in _PARAM.finditer(path)]
