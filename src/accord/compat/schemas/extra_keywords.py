"""The rarer keywords of a schema in normal form (JSON Schema 2020-12's applicators and
a few more that constrain values), kept apart so that common schemas stay small; and
the canonical text of a JSON value that both halves of the normal form use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["EXTRA_KEYWORDS", "Extra", "canonical", "extra_of"]


def canonical(value: Any) -> str:
    """A stable text form of a JSON value, to compare enum values, defaults and the like."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True, slots=True)
class Extra:
    """The rarer keywords of a schema, kept apart so that common schemas stay small.

    ``unevaluated_*`` are ``None`` when absent (or ``true``/``{}``); ``conditional`` is
    the canonical text of ``if``/``then``/``else``; ``min_contains`` is 1 by default.
    """

    prefix_items: tuple[Any, ...] | None = None
    pattern_properties: tuple[tuple[str, Any], ...] = ()
    dependent_required: frozenset[tuple[str, str]] = frozenset()
    dependent_schemas: tuple[tuple[str, Any], ...] = ()
    property_names: Any = None
    unevaluated_properties: Any = None
    unevaluated_items: Any = None
    contains: Any = None
    min_contains: int = 1
    max_contains: int | None = None
    conditional: str | None = None
    content_media_type: str | None = None
    content_encoding: str | None = None
    content_schema: Any = None
    extensible_enum: frozenset[str] | None = None


#: Keywords that make an :class:`Extra`; a schema with none of them has ``extra=None``.
EXTRA_KEYWORDS = frozenset(
    {
        "prefixItems",
        "patternProperties",
        "dependentRequired",
        "dependentSchemas",
        "propertyNames",
        "unevaluatedProperties",
        "unevaluatedItems",
        "contains",
        "minContains",
        "maxContains",
        "if",
        "then",
        "else",
        "contentMediaType",
        "contentEncoding",
        "contentSchema",
        "x-extensible-enum",
    }
)


def extra_of(node: dict[str, Any]) -> Extra:
    """The :class:`Extra` of a schema that has at least one of :data:`EXTRA_KEYWORDS`."""
    prefix = node.get("prefixItems")
    patterns = node.get("patternProperties")
    dep_req = node.get("dependentRequired")
    dep_schemas = node.get("dependentSchemas")
    min_c, max_c = node.get("minContains"), node.get("maxContains")
    conditional = {k: node[k] for k in ("if", "then", "else") if k in node}
    ext = node.get("x-extensible-enum")
    return Extra(
        prefix_items=tuple(prefix) if isinstance(prefix, list) else None,
        pattern_properties=tuple(patterns.items()) if isinstance(patterns, dict) else (),
        dependent_required=frozenset(
            (str(k), str(v))
            for k, vs in (dep_req.items() if isinstance(dep_req, dict) else ())
            for v in (vs if isinstance(vs, list) else ())
        ),
        dependent_schemas=tuple(dep_schemas.items()) if isinstance(dep_schemas, dict) else (),
        property_names=_open(node.get("propertyNames")),
        unevaluated_properties=_open(node.get("unevaluatedProperties")),
        unevaluated_items=_open(node.get("unevaluatedItems")),
        contains=node.get("contains"),
        min_contains=min_c if isinstance(min_c, int) and not isinstance(min_c, bool) else 1,
        max_contains=max_c if isinstance(max_c, int) and not isinstance(max_c, bool) else None,
        conditional=canonical(conditional) if "if" in conditional else None,
        content_media_type=_text(node.get("contentMediaType")),
        content_encoding=_text(node.get("contentEncoding")),
        content_schema=_open(node.get("contentSchema")),
        extensible_enum=frozenset(map(canonical, ext)) if isinstance(ext, list) else None,
    )


def _open(node: Any) -> Any:
    """``None`` for a schema that admits everything (absent, ``true`` or ``{}``)."""
    return None if node is None or node is True or node == {} else node


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
