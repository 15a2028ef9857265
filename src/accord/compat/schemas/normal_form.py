"""Schemas in one normal form, so that equivalent ways of writing them compare equal.

What is normalised:

- ``$ref`` is followed (its siblings, allowed in 3.1, are merged in);
- ``type`` is a set (a 3.1 list or a 3.0 string); ``null`` — from a type list, 3.0's
  ``nullable``, an ``anyOf``/``oneOf`` branch of ``{"type": "null"}`` or an enum value —
  is a flag of its own, ``nullable``;
- a schema without ``type`` takes it from what it constrains (``properties`` →
  ``object``, ``items`` → ``array``, ``enum`` → the values' types);
- ``const`` is an ``enum`` of one value; enums are sets;
- 3.0's boolean ``exclusiveMinimum`` and 3.1's numeric one are one bound
  ``(value, exclusive)``; ``minLength: 0`` and the like are no bound;
- ``allOf`` is flattened into one schema (properties and ``required`` united, types and
  enums intersected, the tighter bound kept); an ``anyOf``/``oneOf`` of one branch (once
  ``null`` is taken out) is that branch.

Subschemas (properties, items, branches) stay as they are written: they are normalised
when the comparison reaches them, so recursive schemas cost nothing up front.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from accord.compat.loading.document import Spec
from accord.compat.schemas.extra_keywords import EXTRA_KEYWORDS, Extra, canonical, extra_of

__all__ = ["ALL_TYPES", "COUNTS", "Extra", "Shape", "Shapes", "canonical"]

ALL_TYPES = frozenset({"string", "number", "integer", "boolean", "array", "object"})

#: Count keywords: JSON name → whether it is a lower bound.
COUNTS = {
    "minLength": True,
    "maxLength": False,
    "minItems": True,
    "maxItems": False,
    "minProperties": True,
    "maxProperties": False,
}

Bound = tuple[float, bool]


#: Patterns every string matches (a search for ``.*`` finds the empty string anywhere).
_ANY_TEXT = frozenset({"", ".*", "^.*", ".*$", "^.*$", "(.*)", "^(.*)$"})

_JSON_TYPE = {str: "string", bool: "boolean", int: "integer", float: "number"}
_ANNOTATIONS = frozenset(
    {"description", "title", "summary", "example", "examples", "externalDocs", "$comment", "xml"}
)


@dataclass(slots=True)
class Shape:
    """One schema in normal form. ``types`` is ``None`` for "any type"."""

    types: frozenset[str] | None = None
    nullable: bool = True
    enum: dict[str, Any] | None = None
    format: str | None = None
    minimum: Bound | None = None
    maximum: Bound | None = None
    counts: dict[str, int] = field(default_factory=dict)
    multiple_of: float | None = None
    pattern: str | None = None
    unique: bool = False
    properties: dict[str, Any] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    additional: Any = True
    items: Any = None
    variants: tuple[Any, ...] = ()
    variant_keyword: str = ""
    #: ``types`` is the union of the branches' types, not declared by the schema itself.
    types_from_variants: bool = False
    discriminator: tuple[str, frozenset[str]] | None = None
    read_only: bool = False
    write_only: bool = False
    deprecated: bool = False
    default: str | None = None
    not_: Any = None
    #: JSON Schema 2020-12 keywords; see :mod:`accord.compat.catalogue.schema_keyword_kinds`.
    extra: Extra | None = None

    def allows(self, *types: str) -> bool:
        """Whether a value of one of ``types`` may pass the type check."""
        return self.types is None or not self.types.isdisjoint(types)


_ANY = Shape()
_NEVER = Shape(types=frozenset(), nullable=False)


class Shapes:
    """Normal forms of one document's schemas, each computed once."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._cache: dict[int, tuple[Any, Shape]] = {}
        self._building: set[int] = set()

    def of(self, node: Any) -> Shape:
        """The normal form of the schema ``node``."""
        key = id(node)
        hit = self._cache.get(key)
        if hit is not None:
            return hit[1]
        if key in self._building:  # a schema that contains itself through allOf or $ref
            return _ANY
        self._building.add(key)
        try:
            shape = self._build(node)
        finally:
            self._building.discard(key)
        self._cache[key] = (node, shape)
        return shape

    def key(self, node: Any) -> int:
        """An identity for ``node`` that is the same for every reference to one schema."""
        while isinstance(node, dict) and len(node) == 1 and isinstance(node.get("$ref"), str):
            node = self.spec.target(node["$ref"])
        return id(node)

    # -- building ------------------------------------------------------------------------

    def _build(self, node: Any) -> Shape:
        if node is True or not isinstance(node, dict):
            return _ANY
        if node is False:  # pragma: no cover - bool handled above; kept for clarity
            return _NEVER
        ref = node.get("$ref")
        if isinstance(ref, str):
            target = self.of(self.spec.target(ref))
            rest = {k: v for k, v in node.items() if k != "$ref" and k not in _ANNOTATIONS}
            shape = _merge(target, self._build(rest)) if rest else target
        else:
            shape = self._own(node)
            for member in node.get("allOf") or ():
                shape = _merge(shape, self.of(member))
            for keyword in ("oneOf", "anyOf"):
                branches = node.get(keyword)
                if isinstance(branches, list) and branches:
                    shape = self._branches(shape, keyword, branches)
                    break
        if node.get("nullable") is True and not shape.nullable:
            # 3.0's `allOf: [$ref], nullable: true` idiom: null is valid, whatever the parts say
            shape = replace(shape, nullable=True)
        return shape

    def _branches(self, shape: Shape, keyword: str, branches: list[Any]) -> Shape:
        kept = [b for b in branches if not _is_null(self.spec.deref(b))]
        has_null = len(kept) < len(branches)
        if not kept:
            return replace(shape, types=frozenset(), nullable=True)
        if len(kept) == 1:
            merged = _merge(shape, self.of(kept[0]))
            return replace(merged, nullable=True) if has_null else merged
        shapes = [self.of(b) for b in kept]
        nullable = has_null or any(b.nullable for b in shapes)
        types = shape.types
        derived = types is None and all(b.types is not None for b in shapes)
        if derived:
            types = frozenset().union(*(b.types or () for b in shapes))
        return replace(
            shape,
            types=types,
            nullable=nullable if shape.types is None else shape.nullable or has_null,
            variants=tuple(kept),
            variant_keyword=keyword,
            types_from_variants=derived,
        )

    def _own(self, node: dict[str, Any]) -> Shape:
        """The shape of ``node``'s own keywords (without allOf, anyOf and oneOf)."""
        s = Shape()
        raw_type = node.get("type")
        declared = (
            {raw_type}
            if isinstance(raw_type, str)
            else set(raw_type)
            if isinstance(raw_type, list)
            else None
        )
        values: list[Any] | None = None
        if "const" in node:
            values = [node["const"]]
        elif isinstance(node.get("enum"), list):
            values = list(node["enum"])
        if declared is not None:
            s.nullable = "null" in declared or node.get("nullable") is True
            s.types = frozenset(declared - {"null"})
        elif values is not None:
            s.types = frozenset(_JSON_TYPE.get(type(v), _container(v)) for v in values) - {"null"}
            s.nullable = any(v is None for v in values)
        elif any(
            k in node
            for k in ("properties", "required", "additionalProperties", "patternProperties")
        ):
            s.types, s.nullable = frozenset({"object"}), node.get("nullable") is True
        elif any(k in node for k in ("items", "prefixItems")):
            s.types, s.nullable = frozenset({"array"}), node.get("nullable") is True
        if values is not None:
            s.enum = {canonical(v): v for v in values if v is not None}
        if isinstance(node.get("format"), str):
            s.format = node["format"]
        if "minimum" in node or "exclusiveMinimum" in node:
            s.minimum = _bound(node, "minimum", "exclusiveMinimum", lower=True)
        if "maximum" in node or "exclusiveMaximum" in node:
            s.maximum = _bound(node, "maximum", "exclusiveMaximum", lower=False)
        for kw, lower in COUNTS.items():
            value = node.get(kw)
            if (
                isinstance(value, int)
                and not isinstance(value, bool)
                and not (lower and value == 0)
            ):
                s.counts[kw] = value
        if isinstance(node.get("multipleOf"), int | float):
            s.multiple_of = float(node["multipleOf"])
        if isinstance(node.get("pattern"), str) and node["pattern"] not in _ANY_TEXT:
            s.pattern = node["pattern"]
        s.unique = node.get("uniqueItems") is True
        if isinstance(node.get("properties"), dict):
            s.properties = dict(node["properties"])
        if isinstance(node.get("required"), list):
            s.required = frozenset(r for r in node["required"] if isinstance(r, str))
        additional = node.get("additionalProperties", True)
        s.additional = True if additional == {} else additional
        s.items = node.get("items")
        disc = node.get("discriminator")
        if isinstance(disc, dict) and isinstance(disc.get("propertyName"), str):
            mapping = disc.get("mapping")
            keys = frozenset(mapping) if isinstance(mapping, dict) else frozenset()
            s.discriminator = (disc["propertyName"], keys)
        s.read_only = node.get("readOnly") is True
        s.write_only = node.get("writeOnly") is True
        s.deprecated = node.get("deprecated") is True
        if "default" in node:
            s.default = canonical(node["default"])
        s.not_ = node.get("not")
        if not EXTRA_KEYWORDS.isdisjoint(node):
            s.extra = extra_of(node)
        return s


def _container(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null" if value is None else "string"


def _is_null(node: Any) -> bool:
    return isinstance(node, dict) and (
        node.get("type") == "null" or node.get("type") == ["null"] or node.get("enum") == [None]
    )


def _bound(node: dict[str, Any], inclusive: str, exclusive: str, *, lower: bool) -> Bound | None:
    found: list[Bound] = []
    value, flag = node.get(inclusive), node.get(exclusive)
    if isinstance(value, int | float) and not isinstance(value, bool):
        found.append((float(value), flag is True))
    if isinstance(flag, int | float) and not isinstance(flag, bool):
        found.append((float(flag), True))
    if not found:
        return None
    return _tighter(found, lower=lower)


def _tighter(bounds: list[Bound], *, lower: bool) -> Bound:
    """The tightest of several bounds of the same side."""
    if lower:
        return max(bounds, key=lambda b: (b[0], b[1]))
    return min(bounds, key=lambda b: (b[0], not b[1]))


def _merge(a: Shape, b: Shape) -> Shape:
    """The shape of a value that must match both ``a`` and ``b`` (``allOf``)."""
    if a.types is None:
        types = b.types
    elif b.types is None:
        types = a.types
    else:
        types = (a.types & b.types) | (
            frozenset({"integer"})
            if ("integer" in a.types and "number" in b.types)
            or ("number" in a.types and "integer" in b.types)
            else frozenset()
        )
    if a.enum is None:
        enum = b.enum
    elif b.enum is None:
        enum = a.enum
    else:
        enum = {k: v for k, v in a.enum.items() if k in b.enum}
    properties = dict(a.properties)
    for name, node in b.properties.items():
        properties[name] = {"allOf": [properties[name], node]} if name in properties else node
    counts = dict(a.counts)
    for kw, value in b.counts.items():
        if kw in counts:
            counts[kw] = max(counts[kw], value) if COUNTS[kw] else min(counts[kw], value)
        else:
            counts[kw] = value
    lows = [x for x in (a.minimum, b.minimum) if x is not None]
    highs = [x for x in (a.maximum, b.maximum) if x is not None]
    if a.additional is False or b.additional is False:
        additional: Any = False
    elif a.additional is True:
        additional = b.additional
    elif b.additional is True:
        additional = a.additional
    else:
        additional = {"allOf": [a.additional, b.additional]}
    if a.items is not None and b.items is not None:
        items: Any = {"allOf": [a.items, b.items]}
    else:
        items = a.items if a.items is not None else b.items
    return Shape(
        types=types,
        nullable=a.nullable and b.nullable,
        enum=enum,
        format=a.format or b.format,
        minimum=_tighter(lows, lower=True) if lows else None,
        maximum=_tighter(highs, lower=False) if highs else None,
        counts=counts,
        multiple_of=a.multiple_of or b.multiple_of,
        pattern=a.pattern or b.pattern,
        unique=a.unique or b.unique,
        properties=properties,
        required=a.required | b.required,
        additional=additional,
        items=items,
        variants=a.variants or b.variants,
        variant_keyword=a.variant_keyword or b.variant_keyword,
        discriminator=a.discriminator or b.discriminator,
        read_only=a.read_only or b.read_only,
        write_only=a.write_only or b.write_only,
        deprecated=a.deprecated or b.deprecated,
        default=a.default if a.default is not None else b.default,
        not_=a.not_ if a.not_ is not None else b.not_,
        extra=a.extra if a.extra is not None else b.extra,
    )
