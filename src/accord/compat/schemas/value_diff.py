"""Value-level comparisons of two schemas in normal form: types, enums, formats, bounds,
counts, ``multipleOf`` and discriminators. Each appends findings ``(kind, path,
message)`` for the schema itself (path ``""``)."""

from __future__ import annotations

from typing import Any

from accord.compat.schemas.normal_form import ALL_TYPES, COUNTS, Shape

__all__ = [
    "bound_change",
    "changed",
    "count_change",
    "discriminator_change",
    "enum_change",
    "multiple_change",
    "type_change",
]

Finding = tuple[str, str, str]

_COUNT_NAMES = {
    "minLength": "min-length",
    "maxLength": "max-length",
    "minItems": "min-items",
    "maxItems": "max-items",
    "minProperties": "min-properties",
    "maxProperties": "max-properties",
}


def _covers(types: frozenset[str], t: str) -> bool:
    return t in types or (t == "integer" and "number" in types)


def type_change(b: Shape, r: Shape, out: list[Finding]) -> None:
    """``type-narrowed``, ``-widened`` or ``-changed`` (``integer`` is a ``number``)."""
    bt = ALL_TYPES if b.types is None else b.types
    rt = ALL_TYPES if r.types is None else r.types
    if bt == rt:
        return
    lost = sorted(t for t in bt if not _covers(rt, t))
    gained = sorted(t for t in rt if not _covers(bt, t))
    text = f"type {_show(bt)} → {_show(rt)}"
    if lost and gained:
        out.append(("type-changed", "", text))
    elif lost:
        out.append(("type-narrowed", "", text))
    elif gained:
        out.append(("type-widened", "", text))


def _show(types: frozenset[str]) -> str:
    return "any" if types == ALL_TYPES else "/".join(sorted(types)) or "none"


def enum_change(b: Shape, r: Shape, out: list[Finding]) -> None:
    """An ``enum``/``const`` added or removed, or values added to or removed from it."""
    if b.enum is None and r.enum is None:
        return
    if b.enum is None:
        out.append(("enum-added", "", f"values restricted to {_values(r.enum)}"))
    elif r.enum is None:
        out.append(("enum-removed", "", f"values no longer restricted to {_values(b.enum)}"))
    else:
        removed = {k: v for k, v in b.enum.items() if k not in r.enum}
        added = {k: v for k, v in r.enum.items() if k not in b.enum}
        if removed:
            out.append(("enum-value-removed", "", f"enum values removed: {_values(removed)}"))
        if added:
            out.append(("enum-value-added", "", f"enum values added: {_values(added)}"))


def _values(values: dict[str, Any] | None) -> str:
    return ", ".join(sorted(values or ())) or "none"


def changed(out: list[Finding], name: str, b: str | None, r: str | None) -> None:
    """``<name>-added``, ``-removed`` or ``-changed`` for a keyword with a text value."""
    if b == r:
        return
    if b is None:
        out.append((f"{name}-added", "", f"{name} {r!r} set"))
    elif r is None:
        out.append((f"{name}-removed", "", f"{name} {b!r} removed"))
    else:
        out.append((f"{name}-changed", "", f"{name} {b!r} → {r!r}"))


def bound_change(
    out: list[Finding],
    name: str,
    b: tuple[float, bool] | None,
    r: tuple[float, bool] | None,
    *,
    lower: bool,
) -> None:
    """A ``minimum``/``maximum`` (with its exclusiveness) added, removed or moved."""
    if b == r:
        return
    if b is None or r is None:
        kind = f"{name}-added" if b is None else f"{name}-removed"
        out.append((kind, "", f"{name} {_num(b)} → {_num(r)}"))
        return
    tighter = (r[0], r[1]) > (b[0], b[1]) if lower else (r[0], not r[1]) < (b[0], not b[1])
    if lower:
        kind = f"{name}-increased" if tighter else f"{name}-decreased"
    else:
        kind = f"{name}-decreased" if tighter else f"{name}-increased"
    out.append((kind, "", f"{name} {_num(b)} → {_num(r)}"))


def _num(bound: tuple[float, bool] | None) -> str:
    if bound is None:
        return "none"
    value = int(bound[0]) if bound[0].is_integer() else bound[0]
    return f"{value}{' (exclusive)' if bound[1] else ''}"


def count_change(out: list[Finding], kw: str, b: int | None, r: int | None) -> None:
    """A length, item or property count bound added, removed, increased or decreased."""
    if b == r:
        return
    name = _COUNT_NAMES[kw]
    if b is None or r is None:
        kind = f"{name}-added" if b is None else f"{name}-removed"
    elif COUNTS[kw]:
        kind = f"{name}-increased" if r > b else f"{name}-decreased"
    else:
        kind = f"{name}-increased" if r > b else f"{name}-decreased"
    out.append(
        (kind, "", f"{kw} {b if b is not None else 'none'} → {r if r is not None else 'none'}")
    )


def multiple_change(out: list[Finding], b: float | None, r: float | None) -> None:
    """``multipleOf`` added, removed or changed."""
    if b == r:
        return
    kind = (
        "multiple-of-added"
        if b is None
        else "multiple-of-removed"
        if r is None
        else "multiple-of-changed"
    )
    out.append((kind, "", f"multipleOf {b} → {r}"))


def discriminator_change(b: Shape, r: Shape, out: list[Finding]) -> None:
    """The ``discriminator`` added, removed, renamed, or its mapping changed."""
    bd, rd = b.discriminator, r.discriminator
    if bd == rd:
        return
    if bd is None:
        out.append(("discriminator-added", "", f"discriminator {rd[0] if rd else ''!r} added"))
        return
    if rd is None:
        out.append(("discriminator-removed", "", f"discriminator {bd[0]!r} removed"))
        return
    if bd[0] != rd[0]:
        out.append(("discriminator-property-changed", "", f"discriminator {bd[0]!r} → {rd[0]!r}"))
    if bd[1] - rd[1]:
        removed = ", ".join(sorted(bd[1] - rd[1]))
        out.append(("discriminator-mapping-removed", "", f"mapping values removed: {removed}"))
    if rd[1] - bd[1]:
        added = ", ".join(sorted(rd[1] - bd[1]))
        out.append(("discriminator-mapping-added", "", f"mapping values added: {added}"))
