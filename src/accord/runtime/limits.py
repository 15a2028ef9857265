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


# Every byte but the four brackets, for bytes.translate(None, delete=...).
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_SQUARE = bytes.maketrans(b"{}", b"[]")
# A string, once escaped quotes are overwritten (:func:`_neutral`).
_STRING = re.compile(rb'"[^"]*"')
# A container holding no other: what one round of collapsing replaces with ``0``.
_INNERMOST = re.compile(rb"[\[{][^\[\]{}]*[\]}]")


def _neutral(body: bytes) -> bytes:
    """``body`` with escaped backslashes and quotes overwritten by two other bytes.

    Every ``"`` left then opens or closes a string, and a string keeps at least as
    many bytes as it has characters decoded. (In a body that is not JSON, this agrees
    with a decoder up to the first error, which is as far as a decoder goes.)
    """
    return body.replace(b"\\\\", b"xx").replace(b'\\"', b"xx")


def _has_long_array(structure: bytes, long_array: re.Pattern[bytes], rounds: int) -> bool:
    """Whether an array of ``structure`` (no strings) has more items than allowed.

    An array whose items hold no container shows its items as commas: ``long_array``
    looks for one with enough of them. Then every innermost container collapses to
    ``0`` and the next level is looked at, ``rounds`` times at most (the depth, which
    is checked first). Each step is a pass in C over a shrinking string.
    """
    for _ in range(rounds + 1):
        if long_array.search(structure) is not None:
            return True
        collapsed = _INNERMOST.sub(b"0", structure)
        if len(collapsed) == len(structure):
            return False
        structure = collapsed
    return False


def _too_deep(structure: bytes, max_depth: int) -> bool:
    """Whether the arrays and objects of ``structure`` (no strings) nest deeper than allowed.

    Everything but brackets is deleted and innermost pairs removed ``max_depth`` times;
    anything left nests deeper. Each step is one pass in C over a shrinking string.
    """
    brackets = structure.translate(_SQUARE, _NOT_BRACKETS)
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
    """The limits of one operation's body: its size (:attr:`max_body_bytes`) and its
    JSON, with the paths its type bounds itself.

    ``check(body)`` raises :class:`~accord.errors.ValidationFailed` (422) for the first
    value past a limit, naming its path.
    """

    __slots__ = (
        "_declared",
        "_long_array",
        "_long_string",
        "_max_array",
        "_max_depth",
        "_max_string",
        "max_body_bytes",
    )

    def __init__(self, limits: Limits, body_type: Any | None = None) -> None:
        #: Bodies past this many bytes are refused (413) before they are decoded.
        self.max_body_bytes = limits.max_body_bytes
        self._max_depth = limits.max_depth
        self._max_string = limits.max_string_length
        self._max_array = limits.max_array_length
        # A string longer than the limit, from its opening quote (or from a closing one:
        # a false alarm costs a walk, never a refusal).
        self._long_string = re.compile(rb'"[^"]{%d}' % (self._max_string + 1))
        # An array with more items than the limit, none of them a container.
        self._long_array = re.compile(rb"\[[^\[\]{},]*(?:,[^\[\]{},]*){%d}" % self._max_array)
        self._declared = _declared_paths(body_type) if body_type is not None else frozenset()

    def check(self, body: bytes) -> None:
        """Refuse ``body`` when it nests too deep or holds too long a string or array.

        Each limit is looked at only when a count in C says it could be passed: more
        brackets than the depth, more bytes than the string limit, at least as many
        commas as the array limit. Then regular expressions over the body (its strings
        cut out, for depth and arrays) tell whether one is passed, and only a body that
        passes one is decoded and walked, for the path to name.
        """
        deep = body.count(b"[") + body.count(b"{") > self._max_depth
        long_string = len(body) > self._max_string + 1
        long_array = len(body) > 2 * self._max_array and body.count(b",") >= self._max_array
        if not (deep or long_string or long_array):
            return
        neutral = _neutral(body)
        if long_string:
            long_string = self._long_string.search(neutral) is not None
        if deep or long_array:
            structure = _STRING.sub(b"", neutral)
            if deep and _too_deep(structure, self._max_depth):
                raise _refuse("$", f"JSON nests deeper than {self._max_depth} levels")
            if long_array:
                long_array = _has_long_array(structure, self._long_array, self._max_depth)
        if not (long_string or long_array):
            return
        try:
            value = msgspec.json.decode(body)
        except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
            return  # not JSON: the operation's decoder reports where
        found = self._oversized(value, long_string)
        if found is not None:
            raise _refuse(*found)

    def _oversized(self, value: Any, strings: bool) -> tuple[str, str] | None:
        """(path, message) of the first string or array past its limit, depth first.

        Strings are looked at only when ``strings`` (the split found one long enough).
        A value's way from the root is kept as a chain of ``(parent, key)`` pairs and
        spelled out as a path only for a value past a limit.
        """
        max_array, declared = self._max_array, self._declared
        max_string = self._max_string if strings else -1
        stack: list[tuple[Any, Any]] = [(value, None)]
        while stack:
            node, trail = stack.pop()
            kind = type(node)
            if kind is str:
                if not 0 <= max_string < len(node):
                    continue  # the whole body is one short string
                found = _spell(trail)
                if found[1] not in declared:
                    return found[
                        0
                    ], f"a string of {len(node)} characters; the limit is {max_string}"
            elif kind is list:
                if len(node) > max_array:
                    found = _spell(trail)
                    if found[1] not in declared:
                        return found[0], f"an array of {len(node)} items; the limit is {max_array}"
                for i in range(len(node) - 1, -1, -1):
                    item = node[i]
                    kind = type(item)
                    if (
                        kind is list
                        or kind is dict
                        or (kind is str and 0 <= max_string < len(item))
                    ):
                        stack.append((item, (trail, i)))
            elif kind is dict:
                if strings:
                    for key in node:
                        if len(key) > max_string:
                            return _spell(trail)[0], (
                                f"a key of {len(key)} characters; the limit is {max_string}"
                            )
                for key, item in reversed(node.items()):
                    kind = type(item)
                    if (
                        kind is list
                        or kind is dict
                        or (kind is str and 0 <= max_string < len(item))
                    ):
                        stack.append((item, (trail, key)))
        return None


def _spell(trail: Any) -> tuple[str, str]:
    """The path (``$.items[3].note``) and pattern (``$.items[].note``) of a trail."""
    keys: list[str | int] = []
    while trail is not None:
        trail, key = trail
        keys.append(key)
    path = pattern = "$"
    for key in reversed(keys):
        if type(key) is int:
            path += f"[{key}]"
            pattern += "[]"
        else:
            path += f".{key}"
            pattern += f".{key}"
    return path, pattern
