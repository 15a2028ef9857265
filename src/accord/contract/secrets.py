"""Secret fields: values that never appear in logs, span attributes or examples.

::

    class Charge(msgspec.Struct):
        card_token: Annotated[str, Secret]

The OpenAPI document says ``x-accord-secret: true`` on such a field's schema.
"""

from __future__ import annotations

import msgspec
import msgspec.inspect as mi

__all__ = ["Secret", "secret_fields"]

#: Marks a field secret: ``card_token: Annotated[str, Secret]`` (with other ``Meta``
#: constraints alongside). Its value never appears in logs or span attributes, and the
#: OpenAPI document says ``x-accord-secret: true`` on its schema.
Secret = msgspec.Meta(extra={"secret": True}, extra_json_schema={"x-accord-secret": True})


_SECRET_FIELDS: dict[type[msgspec.Struct], frozenset[str]] = {}


def secret_fields(struct: type[msgspec.Struct]) -> frozenset[str]:
    """The wire names of the fields marked :data:`Secret` in ``struct`` and the structs it holds."""
    known = _SECRET_FIELDS.get(struct)
    if known is not None:
        return known
    found: set[str] = set()
    seen: set[type] = set()

    def visit(t: mi.Type) -> bool:
        secret = False
        while isinstance(t, mi.Metadata):
            secret = secret or bool((t.extra or {}).get("secret"))
            t = t.type
        if isinstance(t, mi.StructType) and t.cls not in seen:
            seen.add(t.cls)
            for f in t.fields:
                if visit(f.type):
                    found.add(f.encode_name)
        elif isinstance(t, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
            secret = visit(t.item_type) or secret
        elif isinstance(t, mi.DictType):
            secret = visit(t.value_type) or secret
        elif isinstance(t, mi.UnionType):
            for member in t.types:
                secret = visit(member) or secret
        return secret

    visit(mi.type_info(struct))
    known = _SECRET_FIELDS[struct] = frozenset(found)
    return known
