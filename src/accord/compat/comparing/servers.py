"""Servers: where clients send requests, at document, path and operation level.

The document's ``servers`` are compared once (a document-wide finding); a path item's
or an operation's own ``servers`` are compared for that operation, as what it is
effectively served at (its own, else its path item's, else the document's). Servers are
matched by URL (without a trailing ``/``); a URL that went while another came is one
change of URL. OpenAPI's default, when no ``servers`` are given, is ``/``.
"""

from __future__ import annotations

from typing import Any

from accord.compat.comparing.context import Context
from accord.compat.schemas.normal_form import canonical

__all__ = ["compare_servers", "effective_servers", "links_differ"]

_DEFAULT: list[Any] = [{"url": "/"}]


def effective_servers(root: dict[str, Any], item: dict[str, Any], op: dict[str, Any]) -> Any:
    """The servers an operation is served at: its own, its path item's or the document's."""
    for node in (op, item, root):
        servers = node.get("servers")
        if isinstance(servers, list) and servers:
            return servers
    return _DEFAULT


def compare_servers(ctx: Context, operation: str, before: Any, after: Any) -> None:
    """Compare two lists of Server Objects (``None`` or ``[]`` means ``/``)."""
    b, r = _by_url(before), _by_url(after)
    gone = [u for u in b if u not in r]
    new = [u for u in r if u not in b]
    for was, now in zip(gone, new, strict=False):
        ctx.add("server-url-changed", operation, f"server {now}", f"server {was} → {now}")
    for url in gone[len(new) :]:
        ctx.add("server-removed", operation, f"server {url}", f"server {url} removed")
    for url in new[len(gone) :]:
        ctx.add("server-added", operation, f"server {url}", f"server {url} added")
    for url in b.keys() & r.keys():
        _variables(ctx, operation, url, b[url], r[url])


def _by_url(servers: Any) -> dict[str, dict[str, Any]]:
    listed = servers if isinstance(servers, list) and servers else _DEFAULT
    out: dict[str, dict[str, Any]] = {}
    for server in listed:
        if isinstance(server, dict) and isinstance(server.get("url"), str):
            out[server["url"].rstrip("/") or "/"] = server
    return out


def _variables(
    ctx: Context, operation: str, url: str, b: dict[str, Any], r: dict[str, Any]
) -> None:
    bv, rv = b.get("variables") or {}, r.get("variables") or {}
    if not isinstance(bv, dict) or not isinstance(rv, dict):
        return
    for name in sorted(bv.keys() & rv.keys()):
        was, now = bv[name], rv[name]
        if not isinstance(was, dict) or not isinstance(now, dict):
            continue
        where = f"server {url} variable {name}"
        b_enum, r_enum = _enum(was), _enum(now)
        if b_enum is not None and r_enum is not None:
            if b_enum - r_enum:
                removed = ", ".join(sorted(b_enum - r_enum))
                ctx.add(
                    "server-variable-enum-value-removed", operation, where, f"removed: {removed}"
                )
            if r_enum - b_enum:
                added = ", ".join(sorted(r_enum - b_enum))
                ctx.add("server-variable-enum-value-added", operation, where, f"added: {added}")
        if was.get("default") != now.get("default"):
            ctx.add(
                "server-variable-default-changed",
                operation,
                where,
                f"default {was.get('default')} → {now.get('default')}",
            )


def _enum(variable: dict[str, Any]) -> frozenset[str] | None:
    values = variable.get("enum")
    return frozenset(map(str, values)) if isinstance(values, list) else None


def links_differ(b: Any, r: Any) -> bool:
    """Whether two Link Objects lead to a different call (descriptions aside)."""
    return _link(b) != _link(r)


def _link(link: Any) -> str:
    if not isinstance(link, dict):
        return canonical(link)
    return canonical({k: v for k, v in link.items() if k not in ("description", "server")})
