"""Callbacks and webhooks: requests the API sends, judged with the roles flipped.

A callback (``callbacks`` of an operation) and a webhook (3.1's top-level ``webhooks``)
describe a request the API makes to its consumer. Its parameters and body are read by
the consumer, so they are judged as responses are; its responses are what the
consumer sends back, read by the API, so they are judged as requests are. Callbacks are
matched by name, runtime expression and method; webhooks by name and method.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from accord.compat.comparing.bodies import content_schemas
from accord.compat.comparing.context import Context
from accord.compat.comparing.parameters import merged_parameters
from accord.compat.loading.document import Spec

__all__ = ["compare_callbacks", "compare_webhooks"]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

#: (callback or webhook name, expression or "", METHOD) → (operation, path item)
Outgoing = dict[tuple[str, str, str], tuple[dict[str, Any], dict[str, Any]]]


def compare_callbacks(
    ctx: Context, operation: str, b_op: dict[str, Any], r_op: dict[str, Any]
) -> None:
    """Compare the callbacks of one operation."""
    if "callbacks" not in b_op and "callbacks" not in r_op:
        return
    before = _callbacks(ctx.base, b_op.get("callbacks"))
    after = _callbacks(ctx.rev, r_op.get("callbacks"))
    for key in sorted(before.keys() - after.keys()):
        where = _where("callback", key)
        ctx.add("callback-removed", operation, where, f"{where} removed")
    for key in sorted(after.keys() - before.keys()):
        where = _where("callback", key)
        ctx.add("callback-added", operation, where, f"{where} added")
    for key in sorted(before.keys() & after.keys()):
        _outgoing(ctx, operation, _where("callback", key), before[key], after[key])


def compare_webhooks(ctx: Context) -> None:
    """Compare the document's webhooks (OpenAPI 3.1)."""
    before = _webhooks(ctx.base)
    after = _webhooks(ctx.rev)
    for key in sorted(before.keys() - after.keys()):
        ctx.add("webhook-removed", _webhook(key), "webhook", f"webhook {key[0]} {key[2]} removed")
    for key in sorted(after.keys() - before.keys()):
        ctx.add("webhook-added", _webhook(key), "webhook", f"webhook {key[0]} {key[2]} added")
    for key in sorted(before.keys() & after.keys()):
        _outgoing(ctx, _webhook(key), "webhook", before[key], after[key])


def _webhook(key: tuple[str, str, str]) -> str:
    return f"{key[2]} webhook {key[0]}"


def _where(kind: str, key: tuple[str, str, str]) -> str:
    return f"{kind} {key[0]} {key[1]} {key[2]}"


def _callbacks(spec: Spec, raw: Any) -> Outgoing:
    out: Outgoing = {}
    for name, callback in _items(spec, raw):
        for expression, item in _items(spec, callback):
            for method, op, path_item in _methods(spec, item):
                out[(name, expression, method)] = (op, path_item)
    return out


def _webhooks(spec: Spec) -> Outgoing:
    out: Outgoing = {}
    for name, item in _items(spec, spec.root.get("webhooks")):
        for method, op, path_item in _methods(spec, item):
            out[(name, "", method)] = (op, path_item)
    return out


def _items(spec: Spec, raw: Any) -> Iterator[tuple[str, Any]]:
    node = spec.deref(raw) if raw is not None else None
    if isinstance(node, dict):
        for key, value in node.items():
            if not key.startswith("x-"):
                yield key, spec.deref(value)


def _methods(spec: Spec, item: Any) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    if isinstance(item, dict):
        for method in _METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                yield method.upper(), op, item


def _outgoing(
    ctx: Context,
    operation: str,
    where: str,
    b: tuple[dict[str, Any], dict[str, Any]],
    r: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    (b_op, b_item), (r_op, r_item) = b, r
    _parameters(
        ctx,
        operation,
        where,
        merged_parameters(ctx.base, b_op, b_item),
        merged_parameters(ctx.rev, r_op, r_item),
    )
    _request_body(ctx, operation, where, b_op.get("requestBody"), r_op.get("requestBody"))
    _responses(ctx, operation, where, b_op.get("responses"), r_op.get("responses"))


def _key(param: dict[str, Any]) -> tuple[str, str]:
    where = str(param.get("in"))
    name = str(param["name"])
    return (where, name.lower() if where == "header" else name)


def _required(param: dict[str, Any]) -> bool:
    return param.get("in") == "path" or param.get("required") is True


def _parameters(
    ctx: Context,
    operation: str,
    where: str,
    before: list[dict[str, Any]],
    after: list[dict[str, Any]],
) -> None:
    b = {_key(p): p for p in before}
    r = {_key(p): p for p in after}
    for key in sorted(b.keys() - r.keys()):
        rule = (
            "callback-required-parameter-removed"
            if _required(b[key])
            else "callback-optional-parameter-removed"
        )
        place = f"{where} {key[0]} parameter {key[1]}"
        ctx.add(rule, operation, place, f"{key[0]} parameter {key[1]} no longer sent")
    for key in sorted(r.keys() - b.keys()):
        place = f"{where} {key[0]} parameter {key[1]}"
        ctx.add("callback-parameter-added", operation, place, f"{key[0]} parameter {key[1]} sent")
    for key in sorted(b.keys() & r.keys()):
        place = f"{where} {key[0]} parameter {r[key]['name']}"
        was, now = _required(b[key]), _required(r[key])
        if was and not now:
            ctx.add("callback-parameter-became-optional", operation, place, "became optional")
        elif now and not was:
            ctx.add("callback-parameter-became-required", operation, place, "became required")
        ctx.schema(
            _param_schema(b[key]), _param_schema(r[key]), "callback-parameter", operation, place
        )


def _param_schema(param: dict[str, Any]) -> Any:
    content = param.get("content")
    if isinstance(content, dict) and content:
        body = next(iter(content.values()))
        return body.get("schema", {}) if isinstance(body, dict) else {}
    return param.get("schema", {})


def _request_body(ctx: Context, operation: str, where: str, before: Any, after: Any) -> None:
    b = ctx.base.deref(before) if before is not None else None
    r = ctx.rev.deref(after) if after is not None else None
    place = f"{where} request body"
    if not isinstance(b, dict) or not isinstance(r, dict):
        if isinstance(b, dict):
            ctx.add("callback-request-body-removed", operation, place, "body no longer sent")
        elif isinstance(r, dict):
            ctx.add("callback-request-body-added", operation, place, "body sent")
        return
    was, now = b.get("required") is True, r.get("required") is True
    if was and not now:
        ctx.add("callback-request-body-became-optional", operation, place, "body became optional")
    elif now and not was:
        ctx.add("callback-request-body-became-required", operation, place, "body always sent")
    bc, rc = content_schemas(b), content_schemas(r)
    for media in sorted(bc.keys() - rc.keys()):
        ctx.add(
            "callback-request-media-type-removed",
            operation,
            f"{place} {media}",
            f"{media} no longer sent",
        )
    for media in sorted(rc.keys() - bc.keys()):
        ctx.add("callback-request-media-type-added", operation, f"{place} {media}", f"{media} sent")
    for media in sorted(bc.keys() & rc.keys()):
        ctx.schema(bc[media], rc[media], "callback-request-body", operation, f"{place} {media}")


def _responses(ctx: Context, operation: str, where: str, before: Any, after: Any) -> None:
    b = before if isinstance(before, dict) else {}
    r = after if isinstance(after, dict) else {}
    for status in sorted(b.keys() - r.keys()):
        place = f"{where} response {status}"
        ctx.add("callback-response-status-removed", operation, place, f"status {status} removed")
    for status in sorted(r.keys() - b.keys()):
        place = f"{where} response {status}"
        ctx.add("callback-response-status-added", operation, place, f"status {status} added")
    for status in sorted(b.keys() & r.keys()):
        bs, rs = ctx.base.deref(b[status]), ctx.rev.deref(r[status])
        if not isinstance(bs, dict) or not isinstance(rs, dict):
            continue
        place = f"{where} response {status}"
        bc, rc = content_schemas(bs), content_schemas(rs)
        for media in sorted(bc.keys() - rc.keys()):
            ctx.add(
                "callback-response-media-type-removed",
                operation,
                f"{place} {media}",
                f"{media} no longer accepted",
            )
        for media in sorted(rc.keys() - bc.keys()):
            ctx.add(
                "callback-response-media-type-added",
                operation,
                f"{place} {media}",
                f"{media} accepted",
            )
        for media in sorted(bc.keys() & rc.keys()):
            ctx.schema(
                bc[media], rc[media], "callback-response-body", operation, f"{place} {media}"
            )
