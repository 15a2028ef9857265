"""Limits on what a request may be: size of its head, of its body, and of the JSON in it.

Every limit is a value of :class:`Limits`, given to ``App(limits=...)``; the defaults
suit a service of ordinary JSON requests. Each refusal is a problem document:

==================================  ======  ======================
what is too large                   status  code
==================================  ======  ======================
header count or header bytes        431     ``headers_too_large``
path and query string               431     ``headers_too_large``
body bytes                          413     ``payload_too_large``
JSON nesting depth                  422     ``validation_failed``
one string, one array               422     ``validation_failed`` (with the path)
==================================  ======  ======================

Costs are paid only when a limit could be passed: the head is checked with a few
comparisons; a body's depth is scanned only when it holds more brackets than the depth
allows, its strings and arrays only when it is longer than the shortest body that could
break either limit. A string or an array whose field declares its own ``max_length``
(``msgspec.Meta``) is left to that declaration, which msgspec checks when it decodes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import msgspec
import msgspec.inspect as mi

from accord.errors import ContractError, FieldError, ValidationDetails, ValidationFailed

__all__ = ["BodyLimits", "Limits"]


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    """How large each part of a request may be (see the module docstring).

    - ``max_body_bytes``: the body, counted as it is read (413).
    - ``max_depth``: nesting of JSON arrays and objects; ``{"a": [1]}`` is 2 deep (422).
    - ``max_string_length``: characters of one JSON string, keys included (422).
    - ``max_array_length``: items of one JSON array (422).
    - ``max_header_count`` and ``max_header_bytes``: the number of header fields and
      the bytes of their names and values together (431).
    - ``max_target_bytes``: the path and the query string together (431).
    """

    max_body_bytes: int = 1 << 20
    max_depth: int = 32
    max_string_length: int = 64 * 1024
    max_array_length: int = 10_000
    max_header_count: int = 100
    max_header_bytes: int = 32 * 1024
    max_target_bytes: int = 8 * 1024

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            if getattr(self, name) < 1 and name != "max_body_bytes":
                raise ContractError(f"{name} must be at least 1")
        if self.max_body_bytes < 0:
            raise ContractError("max_body_bytes must not be negative")


# JSON strings, escapes included; what is left between them is structure.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
# Every byte but the four brackets, for bytes.translate(None, delete=...).
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_SQUARE = bytes.maketrans(b"{}", b"[]")


def _too_deep(body: bytes, max_depth: int) -> bool:
    """Whether arrays and objects in ``body`` nest deeper than ``max_depth``.

    Strings are cut out, everything but brackets deleted, and innermost pairs removed
    ``max_depth`` times; anything left nests deeper (or is not JSON, which the decoder
    reports anyway). Each step is one pass in C over a shrinking string.
    """
    brackets = _STRING.sub(b"", body).translate(_SQUARE, _NOT_BRACKETS)
    if b"[" * (max_depth + 1) in brackets:
        return True
    for removed in range(max_depth):
        if not brackets:
            return False
        shorter = brackets.replace(b"[]", b"")
        if len(shorter) == len(brackets):
            # Unbalanced, so not JSON: only brackets left open (``]]][[``) can nest
            # deeper, and the decoder would recurse into them before it saw the end.
            return brackets.count(b"[") + removed > max_depth
        brackets = shorter
    return bool(brackets)


def _declared_paths(tp: Any) -> frozenset[str]:
    """Paths (``$.items[].note``) of strings and arrays whose type declares max_length."""
    found: set[str] = set()

    def visit(t: mi.Type, path: str, seen: frozenset[type]) -> None:
        if isinstance(t, mi.Metadata):
            t = t.type
        if isinstance(t, mi.StrType | mi.BytesType):
            if t.max_length is not None:
                found.add(path)
        elif isinstance(t, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
            if t.max_length is not None:
                found.add(path)
            visit(t.item_type, path + "[]", seen)
        elif isinstance(t, mi.UnionType):
            for member in t.types:
                visit(member, path, seen)
        elif isinstance(t, mi.StructType) and t.cls not in seen:
            for f in t.fields:
                visit(f.type, f"{path}.{f.encode_name}", seen | {t.cls})

    visit(mi.type_info(tp), "$", frozenset())
    return frozenset(found)


def _refuse(path: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"{message} at {path}",
        ValidationDetails(errors=[FieldError(path=path, message=message)]),
    )


class BodyLimits:
    """The JSON limits of one operation's body, with the paths its type bounds itself.

    ``check(body)`` raises :class:`~accord.errors.ValidationFailed` (422) for the first
    value past a limit, naming its path.
    """

    __slots__ = ("_declared", "_max_array", "_max_depth", "_max_string", "_walk_from")

    def __init__(self, limits: Limits, body_type: Any | None = None) -> None:
        self._max_depth = limits.max_depth
        self._max_string = limits.max_string_length
        self._max_array = limits.max_array_length
        # The shortest body that can hold a string or an array past its limit.
        self._walk_from = min(self._max_string + 2, 2 * self._max_array + 1)
        self._declared = _declared_paths(body_type) if body_type is not None else frozenset()

    def check(self, body: bytes) -> None:
        """Refuse ``body`` when it nests too deep or holds too long a string or array."""
        if body.count(b"[") + body.count(b"{") > self._max_depth and _too_deep(
            body, self._max_depth
        ):
            raise _refuse("$", f"JSON nests deeper than {self._max_depth} levels")
        if len(body) < self._walk_from:
            return
        try:
            value = msgspec.json.decode(body)
        except (msgspec.DecodeError, RecursionError):
            return  # not JSON: the operation's decoder reports where
        for path, message in self._oversized(value, "$", "$"):
            raise _refuse(path, message)

    def _oversized(self, value: Any, path: str, pattern: str) -> Iterator[tuple[str, str]]:
        """(path, message) of every string or array past its limit, depth first."""
        if type(value) is str:
            if len(value) > self._max_string and pattern not in self._declared:
                yield path, f"a string of {len(value)} characters; the limit is {self._max_string}"
        elif type(value) is list:
            if len(value) > self._max_array and pattern not in self._declared:
                yield path, f"an array of {len(value)} items; the limit is {self._max_array}"
            item_pattern = pattern + "[]"
            for i, item in enumerate(value):
                if type(item) is str or type(item) is list or type(item) is dict:
                    yield from self._oversized(item, f"{path}[{i}]", item_pattern)
        elif type(value) is dict:
            for key, item in value.items():
                if len(key) > self._max_string:
                    yield path, f"a key of {len(key)} characters; the limit is {self._max_string}"
                if type(item) is str or type(item) is list or type(item) is dict:
                    yield from self._oversized(item, f"{path}.{key}", f"{pattern}.{key}")
