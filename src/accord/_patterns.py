"""Contract patterns match as JSON Schema means them: ``$`` is the very end of the string.

A contract declares a string's shape with ``msgspec.Meta(pattern=r"^[A-Z]{3}$")``; the
OpenAPI document carries it as JSON Schema's ``pattern``, an ECMA-262 regular expression
in which ``$`` (without the multiline flag) matches only at the end of the input. msgspec
checks the pattern with Python's ``re``, where ``$`` also matches *before a final
newline*: ``"EUR\\n"`` passed ``^[A-Z]{3}$``, reached the implementation and split log
lines. The document is right; the server's check was looser.

So every operation checks its decoded request (and a client its decoded response) once
more, with the patterns made strict: each ``$`` outside a character class and not
escaped becomes ``\\Z`` (the end of the string only). Only a string that ends with a
newline can tell the two apart, so the check looks again only at such strings, and only
at the fields whose declared pattern has a ``$``; a type without one costs nothing (no
check is built). The refusal reads as msgspec's own (``Expected `str` matching regex
'^[A-Z]{3}$' - at `$.currency` ``), so a 422 names the path as every other one does.

The exported documents are unchanged: they already say what is now checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec
import msgspec.inspect as mi

__all__ = ["PatternCheck", "end_anchored", "pattern_check"]

#: Checks one decoded value; raises ``msgspec.ValidationError`` naming the bad path.
PatternCheck = Callable[[Any], None]
_Check = Callable[[Any, str], None]
_ABSENT = object()
_PENDING = object()


def end_anchored(pattern: str) -> re.Pattern[str] | None:
    """``pattern`` with each unescaped ``$`` outside a class made ``\\Z``, compiled.

    None when that changes nothing: the pattern has no such ``$``, or turns on multiline
    mode inline (JSON Schema has no flags; such a pattern is left as msgspec reads it).
    """
    if "$" not in pattern or re.compile(pattern).flags & re.MULTILINE:
        return None
    out: list[str] = []
    in_class = changed = False
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            # A ``]`` right after ``[`` or ``[^`` is a literal member, not the end.
            start = i + 2 if pattern[i + 1 : i + 2] == "^" else i + 1
            if pattern[start : start + 1] == "]":
                out.append(pattern[i : start + 1])
                i = start + 1
                continue
        elif char == "$":
            out.append(r"\Z")
            changed = True
            i += 1
            continue
        out.append(char)
        i += 1
    return re.compile("".join(out)) if changed else None


def pattern_check(tp: Any) -> PatternCheck | None:
    """A check of values of type ``tp`` against its strict patterns; None if it has none."""
    check = _build(mi.type_info(tp), {})
    if check is None:
        return None

    def run(value: Any) -> None:
        check(value, "$")

    return run


def _build(t: mi.Type, structs: dict[type, Any]) -> _Check | None:
    while isinstance(t, mi.Metadata):
        t = t.type
    if isinstance(t, mi.StrType):
        return _string(t.pattern) if t.pattern else None
    if isinstance(t, mi.StructType):
        return _struct(t, structs)
    if isinstance(t, mi.ListType | mi.VarTupleType | mi.SetType | mi.FrozenSetType):
        kind = {
            mi.ListType: list,
            mi.VarTupleType: tuple,
            mi.SetType: set,
            mi.FrozenSetType: frozenset,
        }[type(t)]
        return _items(kind, _build(t.item_type, structs))
    if isinstance(t, mi.TupleType):
        return _tuple([_build(item, structs) for item in t.item_types])
    if isinstance(t, mi.DictType):
        return _mapping(_build(t.key_type, structs), _build(t.value_type, structs))
    if isinstance(t, mi.UnionType):
        members = [c for c in (_build(m, structs) for m in t.types) if c is not None]
        return _any_of(members) if members else None
    return None


def _string(pattern: str) -> _Check | None:
    strict = end_anchored(pattern)
    if strict is None:
        return None
    message = f"Expected `str` matching regex {pattern!r}"

    def check(value: Any, path: str) -> None:
        if type(value) is str and value.endswith("\n") and strict.search(value) is None:
            raise msgspec.ValidationError(f"{message} - at `{path}`")

    return check


def _struct(t: mi.StructType, structs: dict[type, Any]) -> _Check | None:
    cls = t.cls
    found = structs.get(cls, _ABSENT)
    if found is _PENDING:  # a recursive type: look its check up when it runs
        return lambda value, path: _later(structs, cls, value, path)
    if found is not _ABSENT:
        return found  # type: ignore[no-any-return]
    structs[cls] = _PENDING
    fields = [(f.name, f.encode_name, _build(f.type, structs)) for f in t.fields]
    checks = [(name, wire, c) for name, wire, c in fields if c is not None]
    if not checks:
        structs[cls] = None
        return None

    def check(value: Any, path: str) -> None:
        if isinstance(value, cls):
            for name, wire, field_check in checks:
                field_check(getattr(value, name), f"{path}.{wire}")

    structs[cls] = check
    return check


def _later(structs: dict[type, Any], cls: type, value: Any, path: str) -> None:
    check = structs.get(cls)
    if callable(check):
        check(value, path)


def _items(kind: type[Any], item: _Check | None) -> _Check | None:
    if item is None:
        return None

    def check(value: Any, path: str) -> None:
        if isinstance(value, kind):
            for i, member in enumerate(value):
                item(member, f"{path}[{i}]")

    return check


def _tuple(items: list[_Check | None]) -> _Check | None:
    if not any(items):
        return None

    def check(value: Any, path: str) -> None:
        if isinstance(value, tuple):
            for i, (member, item) in enumerate(zip(value, items, strict=False)):
                if item is not None:
                    item(member, f"{path}[{i}]")

    return check


def _mapping(key: _Check | None, item: _Check | None) -> _Check | None:
    if key is None and item is None:
        return None

    def check(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if key is not None:
                    key(k, "key` in `" + path)
                if item is not None:
                    item(v, f"{path}[...]")

    return check


def _any_of(members: list[_Check]) -> _Check:
    if len(members) == 1:
        return members[0]

    def check(value: Any, path: str) -> None:
        for member in members:
            member(value, path)

    return check
