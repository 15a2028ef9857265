"""Struct helpers shared by the contract model: type inspection and derived structs.

An operation's request travels in up to three parts (path, query, body); these helpers
tell which fields can travel where, and build the derived structs (``<Request>Params``,
``<Request>Body``) that decode each part with msgspec's own validation.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import msgspec

from accord.errors import FieldError, ValidationDetails, ValidationFailed

_SCALARS = (str, int, float, bool)


def validation_failed(exc: msgspec.ValidationError) -> ValidationFailed:
    """Turn msgspec's message (``Expected `int`, got `str` - at `$.x` ``) into a 422."""
    text = str(exc)
    message, sep, where = text.rpartition(" - at `")
    if sep:
        path = where.rstrip("`")
    else:
        message, path = text, "$"
    return ValidationFailed(f"{message} at {path}", _details(path, message))


def _details(path: str, message: str) -> Any:
    return ValidationDetails(errors=[FieldError(path=path, message=message)])


def _strip_annotated(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _is_scalar(tp: Any) -> bool:
    tp = _strip_annotated(tp)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return all(a is type(None) or _is_scalar(a) for a in typing.get_args(tp))
    if origin is typing.Literal:
        return True
    return isinstance(tp, type) and (issubclass(tp, _SCALARS) or issubclass(tp, enum.Enum))


def _is_scalar_list(tp: Any) -> bool:
    tp = _strip_annotated(tp)
    return typing.get_origin(tp) is list and _is_scalar(typing.get_args(tp)[0])


def _struct_subset(
    struct: type[msgspec.Struct], names: Sequence[str], *, suffix: str
) -> type[msgspec.Struct]:
    fields = {f.name: f for f in msgspec.structs.fields(struct)}
    return _defstruct(struct, [fields[n] for n in names], suffix)


def _struct_without(
    struct: type[msgspec.Struct], names: Sequence[str], *, suffix: str
) -> type[msgspec.Struct]:
    return _defstruct(
        struct, [f for f in msgspec.structs.fields(struct) if f.name not in names], suffix
    )


_DERIVED: dict[tuple[type[msgspec.Struct], tuple[str, ...], str], type[msgspec.Struct]] = {}


def _defstruct(
    struct: type[msgspec.Struct], fields: Sequence[Any], suffix: str
) -> type[msgspec.Struct]:
    """A struct holding some fields of ``struct``; one class per (struct, fields) pair."""
    key = (struct, tuple(f.name for f in fields), suffix)
    if key in _DERIVED:
        return _DERIVED[key]
    spec: list[Any] = []
    for f in fields:
        if f.default is not msgspec.NODEFAULT:
            spec.append((f.name, f.type, f.default))
        elif f.default_factory is not msgspec.NODEFAULT:
            spec.append((f.name, f.type, msgspec.field(default_factory=f.default_factory)))
        else:
            spec.append((f.name, f.type))
    derived = _DERIVED[key] = msgspec.defstruct(
        struct.__name__ + suffix,
        spec,
        kw_only=True,
        module=struct.__module__,
        forbid_unknown_fields=getattr(struct.__struct_config__, "forbid_unknown_fields", False),
    )
    return derived


def _quote(value: str) -> str:
    return quote(value, safe="")
