"""JSON Schemas of a contract's message types, with one shared ``components/schemas`` map.

msgspec generates the schemas. When two different classes share a name, msgspec quietly
renames both to their full import path; a published document must not change its type
names behind the author's back, so a clash is a :class:`ContractError` instead.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from typing import Any, TypeVar

import msgspec
import msgspec.inspect as mi

from accord.errors import ContractError

__all__ = ["REF_PREFIX", "generate", "ref", "resolve"]

REF_PREFIX = "#/components/schemas/"

K = TypeVar("K", bound=Hashable)

_NAMED = (mi.StructType, mi.TypedDictType, mi.DataclassType, mi.NamedTupleType, mi.EnumType)


def ref(name: str) -> dict[str, Any]:
    """A ``$ref`` to the component schema ``name``."""
    return {"$ref": REF_PREFIX + name}


def resolve(schema: Mapping[str, Any], components: Mapping[str, Any]) -> Mapping[str, Any]:
    """The schema itself, or the component it is a bare ``$ref`` to."""
    target = schema.get("$ref")
    if isinstance(target, str) and target.startswith(REF_PREFIX) and len(schema) == 1:
        resolved: Mapping[str, Any] = components[target.removeprefix(REF_PREFIX)]
        return resolved
    return schema


def generate(
    types: Mapping[K, Any], *, reserved: Mapping[str, str]
) -> tuple[dict[K, dict[str, Any]], dict[str, Any]]:
    """Schemas for ``types`` (key → type) and the components they refer to, sorted by name.

    ``reserved`` maps component names the caller adds itself to what they are, so that
    a message type of the same name is reported rather than overwritten.
    """
    keys = list(types)
    infos = mi.multi_type_info([types[k] for k in keys])
    expected = _component_names(infos, reserved)
    schemas, components = msgspec.json.schema_components(
        [types[k] for k in keys], ref_template=REF_PREFIX + "{name}"
    )
    if set(components) != set(expected):  # pragma: no cover - guards msgspec's naming
        raise ContractError(
            f"unexpected schema component names {sorted(set(components) ^ set(expected))}"
        )
    return dict(zip(keys, schemas, strict=True)), {n: components[n] for n in sorted(components)}


def _component_names(infos: tuple[mi.Type, ...], reserved: Mapping[str, str]) -> dict[str, Any]:
    """Name → class of every type msgspec will make a component, failing on a clash."""
    found: dict[str, Any] = {}
    seen: set[Any] = set()

    def visit(t: mi.Type) -> None:
        if isinstance(t, _NAMED):
            cls = t.cls
            if cls in seen:
                return
            seen.add(cls)
            name = _name(cls)
            if name in reserved:
                raise ContractError(
                    f"schema name {name!r} of {_qualified(cls)} is taken by {reserved[name]}"
                )
            if name in found and found[name] != cls:
                raise ContractError(
                    f"two different types are both named {name!r}: "
                    f"{_qualified(found[name])} and {_qualified(cls)}; rename one"
                )
            found[name] = cls
            if not isinstance(t, mi.EnumType):
                for field in t.fields:
                    visit(field.type)
        elif isinstance(t, mi.Metadata):
            visit(t.type)
        elif isinstance(t, mi.CollectionType):
            visit(t.item_type)
        elif isinstance(t, mi.TupleType):
            for item in t.item_types:
                visit(item)
        elif isinstance(t, mi.DictType | mi.FrozenDictType):
            visit(t.key_type)
            visit(t.value_type)
        elif isinstance(t, mi.UnionType):
            for member in t.types:
                visit(member)

    for info in infos:
        visit(info)
    return found


def _name(cls: Any) -> str:
    """The component name msgspec gives ``cls`` when nothing else shares it."""
    origin = getattr(cls, "__origin__", None)
    if origin is not None:
        args = ", ".join(a.__name__ if isinstance(a, type) else repr(a) for a in cls.__args__)
        raw = f"{origin.__name__}[{args}]"
    else:
        raw = cls.__name__
    return re.sub(r"[^a-zA-Z0-9.\-_]", "_", raw)


def _qualified(cls: Any) -> str:
    cls = getattr(cls, "__origin__", cls)
    return f"{cls.__module__}.{cls.__qualname__}"
