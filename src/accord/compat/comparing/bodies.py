"""Request bodies, responses, their media types and their headers."""

from __future__ import annotations

from typing import Any

from accord.compat.comparing.context import Context
from accord.compat.comparing.servers import links_differ

__all__ = ["compare_request_body", "compare_responses", "content_schemas"]


def compare_request_body(ctx: Context, operation: str, before: Any, after: Any) -> None:
    """Compare the request bodies of one operation (either may be missing)."""
    b = ctx.base.deref(before) if before is not None else None
    r = ctx.rev.deref(after) if after is not None else None
    if b is None and r is None:
        return
    if b is None:
        assert r is not None
        required = r.get("required") is True
        rule = "required-request-body-added" if required else "optional-request-body-added"
        ctx.add(
            rule, operation, "request body", f"{'required' if required else 'optional'} body added"
        )
        return
    if r is None:
        ctx.add("request-body-removed", operation, "request body", "request body removed")
        return
    was, now = b.get("required") is True, r.get("required") is True
    if now and not was:
        ctx.add("request-body-became-required", operation, "request body", "body became required")
    elif was and not now:
        ctx.add("request-body-became-optional", operation, "request body", "body became optional")
    b_content, r_content = content_schemas(b), content_schemas(r)
    for media in b_content.keys() - r_content.keys():
        ctx.add(
            "request-media-type-removed",
            operation,
            f"request body {media}",
            f"{media} no longer accepted",
        )
    for media in r_content.keys() - b_content.keys():
        ctx.add("request-media-type-added", operation, f"request body {media}", f"{media} accepted")
    for media in b_content.keys() & r_content.keys():
        ctx.schema(
            b_content[media], r_content[media], "request-body", operation, f"request body {media}"
        )
        _encoding(ctx, operation, f"request body {media}", _parts(b, media), _parts(r, media))


def _parts(body: dict[str, Any], media: str) -> dict[str, Any]:
    """The ``encoding`` of one media type: part (property) name → Encoding Object."""
    for key, entry in (body.get("content") or {}).items():
        if key.split(";", 1)[0].strip().lower() == media and isinstance(entry, dict):
            encoding = entry.get("encoding")
            return encoding if isinstance(encoding, dict) else {}
    return {}


def _encoding(
    ctx: Context, operation: str, where: str, before: dict[str, Any], after: dict[str, Any]
) -> None:
    """How the parts of a form or multipart body are sent, where both documents say."""
    for name in sorted(before.keys() & after.keys()):
        b, r = before[name], after[name]
        if not isinstance(b, dict) or not isinstance(r, dict):
            continue
        place = f"{where} part {name}"
        was, now = b.get("contentType"), r.get("contentType")
        if was is not None and now is not None and _media_set(was) != _media_set(now):
            ctx.add(
                "request-body-part-content-type-changed",
                operation,
                place,
                f"contentType {was} → {now}",
            )
        for key in ("style", "explode", "allowReserved"):
            if key in b and key in r and b[key] != r[key]:
                ctx.add(
                    "request-body-part-serialization-changed",
                    operation,
                    place,
                    f"{key} {b[key]} → {r[key]}",
                )


def _media_set(value: Any) -> frozenset[str]:
    return frozenset(m.split(";", 1)[0].strip().lower() for m in str(value).split(","))


def compare_responses(ctx: Context, operation: str, before: Any, after: Any) -> None:
    """Compare the responses of one operation, status by status."""
    b = before if isinstance(before, dict) else {}
    r = after if isinstance(after, dict) else {}
    for status in b.keys() - r.keys():
        rule = (
            "response-success-status-removed"
            if _success(status)
            else "response-error-status-removed"
        )
        ctx.add(rule, operation, f"response {status}", f"status {status} removed")
    for status in r.keys() - b.keys():
        rule = (
            "response-success-status-added" if _success(status) else "response-error-status-added"
        )
        ctx.add(rule, operation, f"response {status}", f"status {status} added")
    for status in b.keys() & r.keys():
        _response(ctx, operation, status, ctx.base.deref(b[status]), ctx.rev.deref(r[status]))


def _success(status: str) -> bool:
    return status.startswith("2")


def _response(ctx: Context, operation: str, status: str, b: Any, r: Any) -> None:
    if not isinstance(b, dict) or not isinstance(r, dict):
        return
    b_content, r_content = content_schemas(b), content_schemas(r)
    where = f"response {status}"
    for media in b_content.keys() - r_content.keys():
        ctx.add(
            "response-media-type-removed", operation, f"{where} {media}", f"{media} no longer sent"
        )
    for media in r_content.keys() - b_content.keys():
        ctx.add("response-media-type-added", operation, f"{where} {media}", f"{media} sent")
    for media in b_content.keys() & r_content.keys():
        ctx.schema(
            b_content[media], r_content[media], "response-body", operation, f"{where} {media}"
        )
    _headers(ctx, operation, where, b.get("headers"), r.get("headers"))
    _links(ctx, operation, where, b.get("links"), r.get("links"))


def _links(ctx: Context, operation: str, where: str, before: Any, after: Any) -> None:
    b = {k: ctx.base.deref(v) for k, v in before.items()} if isinstance(before, dict) else {}
    r = {k: ctx.rev.deref(v) for k, v in after.items()} if isinstance(after, dict) else {}
    for name in sorted(b.keys() - r.keys()):
        ctx.add("response-link-removed", operation, f"{where} link {name}", f"link {name} removed")
    for name in sorted(r.keys() - b.keys()):
        ctx.add("response-link-added", operation, f"{where} link {name}", f"link {name} added")
    for name in sorted(b.keys() & r.keys()):
        if links_differ(b[name], r[name]):
            ctx.add(
                "response-link-changed", operation, f"{where} link {name}", f"link {name} changed"
            )


def _headers(ctx: Context, operation: str, where: str, before: Any, after: Any) -> None:
    b = {
        k.lower(): (k, ctx.base.deref(v))
        for k, v in (before or {}).items()
        if k.lower() != "content-type"
    }
    r = {
        k.lower(): (k, ctx.rev.deref(v))
        for k, v in (after or {}).items()
        if k.lower() != "content-type"
    }
    for key in b.keys() - r.keys():
        name, header = b[key]
        required = isinstance(header, dict) and header.get("required") is True
        rule = (
            "response-required-header-removed" if required else "response-optional-header-removed"
        )
        ctx.add(rule, operation, f"{where} header {name}", f"header {name} no longer sent")
    for key in r.keys() - b.keys():
        name, _ = r[key]
        ctx.add(
            "response-header-added", operation, f"{where} header {name}", f"header {name} added"
        )
    for key in b.keys() & r.keys():
        (_, bh), (name, rh) = b[key], r[key]
        if not isinstance(bh, dict) or not isinstance(rh, dict):
            continue
        place = f"{where} header {name}"
        was, now = bh.get("required") is True, rh.get("required") is True
        if was and not now:
            ctx.add("response-header-became-optional", operation, place, f"{name} became optional")
        elif now and not was:
            ctx.add("response-header-became-required", operation, place, f"{name} became required")
        was, now = bh.get("deprecated") is True, rh.get("deprecated") is True
        if was != now:
            rule = "response-header-deprecated" if now else "response-header-undeprecated"
            ctx.add(
                rule, operation, place, f"{name} {'deprecated' if now else 'no longer deprecated'}"
            )
        ctx.schema(_header_schema(bh), _header_schema(rh), "response-header", operation, place)


def _header_schema(header: dict[str, Any]) -> Any:
    content = header.get("content")
    if isinstance(content, dict) and content:
        body = next(iter(content.values()))
        return body.get("schema", {}) if isinstance(body, dict) else {}
    return header.get("schema", {})


def content_schemas(body: dict[str, Any]) -> dict[str, Any]:
    """Media type (lower case, parameters dropped) → schema."""
    content = body.get("content")
    if not isinstance(content, dict):
        return {}
    out: dict[str, Any] = {}
    for media, entry in content.items():
        key = media.split(";", 1)[0].strip().lower()
        out[key] = entry.get("schema", {}) if isinstance(entry, dict) else {}
    return out
