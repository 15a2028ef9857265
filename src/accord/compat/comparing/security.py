"""Security requirements of an operation, and the schemes they name.

A requirement list is a choice of alternatives (any one will do); each alternative names
schemes and, for OAuth 2 and OpenID Connect, the scopes a token must carry. The
operation's own ``security`` wins over the document's; ``[]`` or an empty alternative
``{}`` lets anonymous clients in.
"""

from __future__ import annotations

from typing import Any

from accord.compat.comparing.context import Context
from accord.compat.loading.document import Spec

__all__ = ["compare_schemes", "compare_security"]

Alternative = dict[str, frozenset[str]]


def compare_security(
    ctx: Context, operation: str, b_op: dict[str, Any], r_op: dict[str, Any]
) -> None:
    """Compare the effective security requirements of one operation."""
    before, after = _effective(ctx.base, b_op), _effective(ctx.rev, r_op)
    b_open, r_open = _anonymous(before), _anonymous(after)
    if b_open and not r_open:
        ctx.add("security-added", operation, "security", f"now requires {_show(after)}")
        return
    if r_open and not b_open:
        ctx.add("security-removed", operation, "security", "no longer requires credentials")
        return
    if b_open:
        return
    b_alts = {frozenset(a): a for a in before}
    r_alts = {frozenset(a): a for a in after}
    for key in b_alts.keys() - r_alts.keys():
        ctx.add(
            "security-alternative-removed",
            operation,
            "security",
            f"{_show([b_alts[key]])} no longer accepted",
        )
    for key in r_alts.keys() - b_alts.keys():
        ctx.add(
            "security-alternative-added", operation, "security", f"{_show([r_alts[key]])} accepted"
        )
    for key in b_alts.keys() & r_alts.keys():
        for scheme in sorted(key):
            added = r_alts[key][scheme] - b_alts[key][scheme]
            removed = b_alts[key][scheme] - r_alts[key][scheme]
            if added:
                ctx.add(
                    "security-scope-added",
                    operation,
                    f"security {scheme}",
                    f"scopes added: {', '.join(sorted(added))}",
                )
            if removed:
                ctx.add(
                    "security-scope-removed",
                    operation,
                    f"security {scheme}",
                    f"scopes removed: {', '.join(sorted(removed))}",
                )


def compare_schemes(ctx: Context) -> None:
    """Compare the security schemes both documents define under the same name."""
    before = _schemes(ctx.base)
    after = _schemes(ctx.rev)
    for name in sorted(before.keys() & after.keys()):
        b, r = before[name], after[name]
        where = f"security scheme {name}"
        if _kind(b) != _kind(r):
            ctx.add("security-scheme-type-changed", "", where, f"{_kind(b)} → {_kind(r)}")
            continue
        was, now = b.get("openIdConnectUrl"), r.get("openIdConnectUrl")
        if was != now:
            ctx.add("security-scheme-url-changed", "", where, f"openIdConnectUrl {was} → {now}")
        b_flows, r_flows = b.get("flows") or {}, r.get("flows") or {}
        for flow in sorted(b_flows.keys() - r_flows.keys()):
            ctx.add("security-scheme-flow-removed", "", where, f"flow {flow} removed")
        for flow in sorted(r_flows.keys() - b_flows.keys()):
            ctx.add("security-scheme-flow-added", "", where, f"flow {flow} added")
        for flow in sorted(b_flows.keys() & r_flows.keys()):
            for url in ("authorizationUrl", "tokenUrl", "refreshUrl"):
                was, now = (b_flows[flow] or {}).get(url), (r_flows[flow] or {}).get(url)
                if was != now:
                    ctx.add("security-scheme-url-changed", "", where, f"{flow} {url} {was} → {now}")


def _schemes(spec: Spec) -> dict[str, dict[str, Any]]:
    raw = (spec.root.get("components") or {}).get("securitySchemes") or {}
    out: dict[str, dict[str, Any]] = {}
    for name, scheme in raw.items():
        scheme = spec.deref(scheme)
        if isinstance(scheme, dict):
            out[name] = scheme
    return out


def _kind(scheme: dict[str, Any]) -> tuple[str, str, str]:
    """What a client must do: the type, and for apiKey where, for http which scheme."""
    kind = str(scheme.get("type", ""))
    if kind == "apiKey":
        return kind, str(scheme.get("in", "")), str(scheme.get("name", "")).lower()
    if kind == "http":
        return kind, str(scheme.get("scheme", "")).lower(), ""
    return kind, "", ""


def _effective(spec: Spec, op: dict[str, Any]) -> list[Alternative]:
    raw = op.get("security", spec.root.get("security", []))
    out: list[Alternative] = []
    for alt in raw if isinstance(raw, list) else []:
        if isinstance(alt, dict):
            out.append({str(k): frozenset(v or ()) for k, v in alt.items()})
    return out


def _anonymous(alternatives: list[Alternative]) -> bool:
    return not alternatives or any(not alt for alt in alternatives)


def _show(alternatives: list[Alternative]) -> str:
    return " or ".join(
        " + ".join(f"{k}[{', '.join(sorted(v))}]" if v else k for k, v in sorted(a.items()))
        for a in alternatives
    )
