"""Comparing JSON Schema 2020-12's further keywords of two schemas (see
:mod:`accord.compat.catalogue.schema_keyword_kinds` for the kinds and their levels).

Subschemas (a ``prefixItems`` position, a ``patternProperties`` pattern, ``contains``,
``propertyNames``…) present on both sides are compared like properties, with the same
reader, under a path that names the keyword: ``[0]``, ``./^x-/``, ``<contains>``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from accord.compat.schemas.normal_form import Extra, Shape
from accord.compat.types import Side

__all__ = ["compare_extra"]

Finding = tuple[str, str, str]
#: ``child(before, after, side, prefix, out)``: compare two subschemas under ``prefix``.
Child = Callable[[Any, Any, Side, str, list[Finding]], None]

_NONE = Extra()


def compare_extra(b: Shape, r: Shape, side: Side, out: list[Finding], child: Child) -> None:
    """Findings for the 2020-12 keywords of ``b`` and ``r`` (either may have none)."""
    bx, rx = b.extra or _NONE, r.extra or _NONE
    _prefix_items(bx, rx, side, out, child)
    _named(
        "pattern-property",
        dict(bx.pattern_properties),
        dict(rx.pattern_properties),
        "./{}/",
        side,
        out,
        child,
    )
    _named(
        "dependent-schema",
        dict(bx.dependent_schemas),
        dict(rx.dependent_schemas),
        "<dependentSchemas:{}>",
        side,
        out,
        child,
    )
    for key, value in sorted(rx.dependent_required - bx.dependent_required):
        out.append(("dependent-required-added", f".{key}", f"{key!r} now requires {value!r}"))
    for key, value in sorted(bx.dependent_required - rx.dependent_required):
        out.append(
            ("dependent-required-removed", f".{key}", f"{key!r} no longer requires {value!r}")
        )
    for name, keyword in (
        ("property-names", "propertyNames"),
        ("unevaluated-properties", "unevaluatedProperties"),
        ("unevaluated-items", "unevaluatedItems"),
        ("contains", "contains"),
        ("content-schema", "contentSchema"),
    ):
        attr = _snake(keyword)
        _optional(name, keyword, getattr(bx, attr), getattr(rx, attr), side, out, child)
    if bx.contains is not None and rx.contains is not None:
        _contains_counts(bx, rx, out)
    if bx.conditional != rx.conditional:
        if bx.conditional is None:
            out.append(("conditional-added", "", "`if`/`then`/`else` added"))
        elif rx.conditional is None:
            out.append(("conditional-removed", "", "`if`/`then`/`else` removed"))
        else:
            out.append(("conditional-changed", "", "`if`/`then`/`else` changed"))
    for kind, keyword, was, now in (
        (
            "content-media-type-changed",
            "contentMediaType",
            bx.content_media_type,
            rx.content_media_type,
        ),
        ("content-encoding-changed", "contentEncoding", bx.content_encoding, rx.content_encoding),
    ):
        if was != now:
            out.append((kind, "", f"{keyword} {was or 'none'} → {now or 'none'}"))
    if bx.extensible_enum is not None and rx.extensible_enum is not None:
        if bx.extensible_enum - rx.extensible_enum:
            gone = ", ".join(sorted(bx.extensible_enum - rx.extensible_enum))
            out.append(
                ("extensible-enum-value-removed", "", f"x-extensible-enum values removed: {gone}")
            )
        if rx.extensible_enum - bx.extensible_enum:
            new = ", ".join(sorted(rx.extensible_enum - bx.extensible_enum))
            out.append(
                ("extensible-enum-value-added", "", f"x-extensible-enum values added: {new}")
            )


def _snake(keyword: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in keyword)


def _prefix_items(bx: Extra, rx: Extra, side: Side, out: list[Finding], child: Child) -> None:
    before, after = bx.prefix_items or (), rx.prefix_items or ()
    for i in range(len(after), len(before)):
        out.append(("prefix-items-removed", f"[{i}]", f"prefixItems position {i} removed"))
    for i in range(len(before), len(after)):
        out.append(("prefix-items-added", f"[{i}]", f"prefixItems position {i} added"))
    for i in range(min(len(before), len(after))):
        child(before[i], after[i], side, f"[{i}]", out)


def _named(
    name: str,
    before: dict[str, Any],
    after: dict[str, Any],
    path: str,
    side: Side,
    out: list[Finding],
    child: Child,
) -> None:
    for key in before:
        if key not in after:
            out.append(
                (f"{name}-removed", path.format(key), f"{name.replace('-', ' ')} {key!r} removed")
            )
    for key in after:
        if key not in before:
            out.append(
                (f"{name}-added", path.format(key), f"{name.replace('-', ' ')} {key!r} added")
            )
        else:
            child(before[key], after[key], side, path.format(key), out)


def _optional(
    name: str, keyword: str, b: Any, r: Any, side: Side, out: list[Finding], child: Child
) -> None:
    if b is None and r is None:
        return
    if b is None:
        out.append((f"{name}-added", "", f"`{keyword}` added"))
    elif r is None:
        out.append((f"{name}-removed", "", f"`{keyword}` removed"))
    elif b is False or r is False:
        if b is not r:
            kind = f"{name}-added" if r is False else f"{name}-removed"
            out.append((kind, "", f"`{keyword}` {_show(b)} → {_show(r)}"))
    else:
        child(b, r, side, f"<{keyword}>", out)


def _show(node: Any) -> str:
    return "false" if node is False else "a schema"


def _contains_counts(bx: Extra, rx: Extra, out: list[Finding]) -> None:
    if bx.min_contains != rx.min_contains:
        kind = (
            "min-contains-increased"
            if rx.min_contains > bx.min_contains
            else "min-contains-decreased"
        )
        out.append((kind, "", f"minContains {bx.min_contains} → {rx.min_contains}"))
    was, now = bx.max_contains, rx.max_contains
    if was != now:
        tighter = was is None or (now is not None and now < was)
        kind = "max-contains-decreased" if tighter else "max-contains-increased"
        out.append(
            (
                kind,
                "",
                f"maxContains {_count(was)} → {_count(now)}",
            )
        )


def _count(value: int | None) -> str:
    return "none" if value is None else str(value)
