"""Schema change kinds of JSON Schema 2020-12's further keywords (OpenAPI 3.1) and of a
schema rewritten as, or out of, a ``oneOf``/``anyOf``.

Each keyword that restricts values is judged like the others: adding it narrows what a
schema admits (breaking where the server reads, harmless where clients read), removing
it widens. ``if``/``then``/``else`` cannot be ordered, so a change there is a warning on
either side.
"""

from __future__ import annotations

from accord.compat.catalogue.schema_value_kinds import SchemaKind
from accord.compat.types import Level

__all__ = ["KEYWORD_KINDS"]

B, W, N = Level.BREAKING, Level.WARNING, Level.INFO


def _pair(
    name: str, what: str, before: str, after: str, *, narrows: bool = True
) -> tuple[SchemaKind, SchemaKind]:
    """``<name>-added`` and ``<name>-removed``: adding narrows (or widens when not)."""
    add = (B, N) if narrows else (N, B)
    return (
        SchemaKind(f"{name}-added", *add, f"{what} was added", before, after),
        SchemaKind(f"{name}-removed", add[1], add[0], f"{what} was removed", after, before),
    )


KEYWORD_KINDS: tuple[SchemaKind, ...] = (
    SchemaKind(
        "wrapped-in-one-of",
        N,
        B,
        "the schema became one branch of a `oneOf`/`anyOf`: more values are valid",
        '{"type": "string"}',
        '{"oneOf": [{"type": "string"}, {"type": "integer"}]}',
    ),
    SchemaKind(
        "unwrapped-from-one-of",
        B,
        N,
        "a `oneOf`/`anyOf` was reduced to one of its branches: fewer values are valid",
        '{"oneOf": [{"type": "string"}, {"type": "integer"}]}',
        '{"type": "string"}',
    ),
    SchemaKind(
        "prefix-items-added",
        N,
        B,
        "a position was added to `prefixItems`: longer tuples are described",
        '{"prefixItems": [{"type": "string"}], "items": false}',
        '{"prefixItems": [{"type": "string"}, {"type": "integer"}], "items": false}',
    ),
    SchemaKind(
        "prefix-items-removed",
        B,
        N,
        "a position was removed from `prefixItems`",
        '{"prefixItems": [{"type": "string"}, {"type": "integer"}], "items": false}',
        '{"prefixItems": [{"type": "string"}], "items": false}',
    ),
    *_pair(
        "pattern-property",
        "a `patternProperties` pattern",
        '{"type": "object"}',
        '{"type": "object", "patternProperties": {"^x-": {"type": "string"}}}',
    ),
    *_pair(
        "dependent-required",
        "a `dependentRequired` dependency (one property requires another)",
        '{"type": "object"}',
        '{"type": "object", "dependentRequired": {"card": ["cvc"]}}',
    ),
    *_pair(
        "dependent-schema",
        "a `dependentSchemas` entry",
        '{"type": "object"}',
        '{"type": "object", "dependentSchemas": {"card": {"required": ["cvc"]}}}',
    ),
    *_pair(
        "property-names",
        "a `propertyNames` schema",
        '{"type": "object"}',
        '{"type": "object", "propertyNames": {"pattern": "^[a-z]+$"}}',
    ),
    *_pair(
        "unevaluated-properties",
        "an `unevaluatedProperties` restriction",
        '{"type": "object"}',
        '{"type": "object", "unevaluatedProperties": false}',
    ),
    *_pair(
        "unevaluated-items",
        "an `unevaluatedItems` restriction",
        '{"type": "array"}',
        '{"type": "array", "unevaluatedItems": false}',
    ),
    *_pair(
        "contains",
        "a `contains` schema (some item must match it)",
        '{"type": "array"}',
        '{"type": "array", "contains": {"const": "x"}}',
    ),
    SchemaKind(
        "min-contains-increased",
        B,
        N,
        "`minContains` increased: more items must match `contains`",
        '{"contains": {"const": "x"}}',
        '{"contains": {"const": "x"}, "minContains": 2}',
    ),
    SchemaKind(
        "min-contains-decreased",
        N,
        B,
        "`minContains` decreased",
        '{"contains": {"const": "x"}, "minContains": 2}',
        '{"contains": {"const": "x"}}',
    ),
    SchemaKind(
        "max-contains-decreased",
        B,
        N,
        "`maxContains` decreased or set: fewer items may match `contains`",
        '{"contains": {"const": "x"}}',
        '{"contains": {"const": "x"}, "maxContains": 2}',
    ),
    SchemaKind(
        "max-contains-increased",
        N,
        B,
        "`maxContains` increased or removed",
        '{"contains": {"const": "x"}, "maxContains": 2}',
        '{"contains": {"const": "x"}}',
    ),
    *_pair(
        "conditional",
        "an `if`/`then`/`else` condition",
        '{"type": "object"}',
        '{"type": "object", "if": {"required": ["a"]}, "then": {"required": ["b"]}}',
    ),
    SchemaKind(
        "conditional-changed",
        W,
        W,
        "an `if`/`then`/`else` condition changed (whether it narrowed cannot be told)",
        '{"if": {"required": ["a"]}, "then": {"required": ["b"]}}',
        '{"if": {"required": ["a"]}, "then": {"required": ["c"]}}',
    ),
    SchemaKind(
        "not-changed",
        W,
        W,
        "the `not` subschema changed (what it excludes may have grown or shrunk)",
        '{"not": {"const": "a"}}',
        '{"not": {"const": "b"}}',
    ),
    SchemaKind(
        "content-media-type-changed",
        B,
        B,
        "the `contentMediaType` of a string's content was set, removed or changed",
        '{"type": "string", "contentMediaType": "image/png"}',
        '{"type": "string", "contentMediaType": "image/jpeg"}',
    ),
    SchemaKind(
        "content-encoding-changed",
        B,
        B,
        "the `contentEncoding` of a string was set, removed or changed",
        '{"type": "string", "contentEncoding": "base64"}',
        '{"type": "string", "contentEncoding": "base32"}',
    ),
    *_pair(
        "content-schema",
        "a `contentSchema` (the schema of a string's decoded content)",
        '{"type": "string", "contentMediaType": "application/json"}',
        '{"type": "string", "contentMediaType": "application/json", '
        '"contentSchema": {"type": "object"}}',
    ),
    SchemaKind(
        "extensible-enum-value-removed",
        B,
        N,
        "a value was removed from `x-extensible-enum`",
        '{"type": "string", "x-extensible-enum": ["a", "b"]}',
        '{"type": "string", "x-extensible-enum": ["a"]}',
    ),
    SchemaKind(
        "extensible-enum-value-added",
        N,
        N,
        "a value was added to `x-extensible-enum` (clients must expect new values)",
        '{"type": "string", "x-extensible-enum": ["a"]}',
        '{"type": "string", "x-extensible-enum": ["a", "b"]}',
    ),
)
