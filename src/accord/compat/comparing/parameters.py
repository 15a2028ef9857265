"""Request parameters: path, query, header and cookie.

Path parameters are matched by their position in the template (their names do not
reach the wire); the others by location and name, header names without regard to case.
"""

from __future__ import annotations

from typing import Any

from accord.compat.comparing.context import Context
from accord.compat.comparing.sunset import compare_sunsets, future_sunset
from accord.compat.loading.document import Spec

__all__ = ["compare_parameters", "merged_parameters"]

#: Header parameters OpenAPI says to ignore: media types and security schemes define them.
_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})

_DEFAULT_STYLE = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}


def compare_parameters(
    ctx: Context,
    operation: str,
    b_names: list[str],
    before: list[dict[str, Any]],
    r_names: list[str],
    after: list[dict[str, Any]],
) -> None:
    """Compare the parameters of one operation in the base and the revision."""
    b_keyed = _keyed(before, b_names)
    r_keyed = _keyed(after, r_names)
    for key, param in b_keyed.items():
        if key not in r_keyed:
            date = future_sunset(param)
            if date is not None:
                ctx.add(
                    "request-parameter-removed-before-sunset",
                    operation,
                    _where(param),
                    f"{_where(param)} removed before its sunset date {date.isoformat()}",
                )
                continue
            ctx.add(
                "request-parameter-removed",
                operation,
                _where(param),
                f"{_where(param)} removed",
            )
    for key, param in r_keyed.items():
        if key not in b_keyed:
            required = _required(param)
            rule = (
                "required-request-parameter-added"
                if required
                else "optional-request-parameter-added"
            )
            ctx.add(
                rule,
                operation,
                _where(param),
                f"{'required' if required else 'optional'} {_where(param)} added",
            )
    for key in b_keyed.keys() & r_keyed.keys():
        _compare(ctx, operation, b_keyed[key], r_keyed[key])


def _keyed(
    params: list[dict[str, Any]], path_names: list[str]
) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for p in params:
        where = str(p.get("in"))
        name = str(p["name"])
        if where == "path":
            key = ("path", str(path_names.index(name)) if name in path_names else name)
        elif where == "header":
            if name.lower() in _IGNORED_HEADERS:
                continue  # OpenAPI: such parameter definitions are ignored
            key = ("header", name.lower())
        else:
            key = (where, name)
        out[key] = p
    return out


def _where(param: dict[str, Any]) -> str:
    return f"{param.get('in')} parameter {param.get('name')}"


def _required(param: dict[str, Any]) -> bool:
    return param.get("in") == "path" or param.get("required") is True


def _style(param: dict[str, Any]) -> tuple[str, bool]:
    style = param.get("style") or _DEFAULT_STYLE.get(str(param.get("in")), "simple")
    explode = param.get("explode")
    return str(style), explode if isinstance(explode, bool) else style == "form"


def _compare(ctx: Context, operation: str, b: dict[str, Any], r: dict[str, Any]) -> None:
    where = _where(r)
    if _required(r) and not _required(b):
        ctx.add("request-parameter-became-required", operation, where, f"{where} became required")
    elif _required(b) and not _required(r):
        ctx.add("request-parameter-became-optional", operation, where, f"{where} became optional")
    if "content" not in b and "content" not in r:
        (b_style, b_explode), (r_style, r_explode) = _style(b), _style(r)
        if b_style != r_style:
            ctx.add(
                "request-parameter-style-changed", operation, where, f"style {b_style} → {r_style}"
            )
        if b_explode != r_explode:
            ctx.add(
                "request-parameter-explode-changed",
                operation,
                where,
                f"explode {b_explode} → {r_explode}",
            )
    for flag, name in (
        ("allowReserved", "allow-reserved"),
        ("allowEmptyValue", "allow-empty-value"),
    ):
        was, now = b.get(flag) is True, r.get(flag) is True
        if was != now:
            change = "added" if now else "removed"
            ctx.add(f"request-parameter-{name}-{change}", operation, where, f"{flag} {was} → {now}")
    was, now = b.get("deprecated") is True, r.get("deprecated") is True
    if was != now:
        rule = "request-parameter-deprecated" if now else "request-parameter-undeprecated"
        ctx.add(
            rule, operation, where, f"{where} {'deprecated' if now else 'no longer deprecated'}"
        )
    compare_sunsets(ctx, "request-parameter", operation, where, b, r)
    b_media, b_schema = _schema(b)
    r_media, r_schema = _schema(r)
    if b_media != r_media:
        ctx.add(
            "request-parameter-media-type-changed",
            operation,
            where,
            f"media type {b_media or 'none'} → {r_media or 'none'}",
        )
    ctx.schema(
        b_schema,
        r_schema,
        "request-parameter",
        operation,
        where,
        always_sent=_required(b) and _required(r),
    )


def _schema(param: dict[str, Any]) -> tuple[str | None, Any]:
    """(media type of a ``content`` parameter or None, its schema)."""
    content = param.get("content")
    if isinstance(content, dict) and content:
        media, body = next(iter(content.items()))
        return media, (body or {}).get("schema", {}) if isinstance(body, dict) else {}
    return None, param.get("schema", {})


def merged_parameters(spec: Spec, op: dict[str, Any], item: dict[str, Any]) -> list[dict[str, Any]]:
    """The operation's parameters, resolved, with the path item's merged in."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for source in (item.get("parameters") or (), op.get("parameters") or ()):
        for raw in source:
            param = spec.deref(raw)
            if isinstance(param, dict) and isinstance(param.get("name"), str):
                merged[(str(param.get("in")), param["name"])] = param
    return list(merged.values())
