"""Schema rules: one rule per (where the schema is read, and what changed in it).

A schema is read either by the server (request parameters and bodies) or by clients
(response bodies and headers). The same change is judged by its reader: narrowing what
a request may hold breaks clients that send the old values, widening what a response may
hold breaks clients that read it. Each kind below carries its level on either side, and
the catalogue holds its rule for each of the four places a schema appears.
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.compat._types import Level, Rule, Side

__all__ = ["CONTEXTS", "KINDS", "SchemaKind", "schema_rule_id", "schema_rules"]

B, W, N = Level.BREAKING, Level.WARNING, Level.INFO

#: Where a schema is read: context id → (side, words for the description).
CONTEXTS: dict[str, tuple[Side, str]] = {
    "request-parameter": (Side.REQUEST, "a request parameter's schema"),
    "request-body": (Side.REQUEST, "the request body's schema"),
    "response-body": (Side.RESPONSE, "the response body's schema"),
    "response-header": (Side.RESPONSE, "a response header's schema"),
}


@dataclass(frozen=True, slots=True)
class SchemaKind:
    """A change to a schema, with its level when the server reads it and when clients do."""

    kind: str
    request: Level
    response: Level
    description: str
    before: str
    after: str


def _bounds() -> list[SchemaKind]:
    """minimum, maximum and the length/item/property counts: each moved, added or removed."""
    out: list[SchemaKind] = []
    for kw, name, lower, sample in (
        ("minimum", "minimum", True, '"type": "integer"'),
        ("maximum", "maximum", False, '"type": "integer"'),
        ("minLength", "min-length", True, '"type": "string"'),
        ("maxLength", "max-length", False, '"type": "string"'),
        ("minItems", "min-items", True, '"type": "array"'),
        ("maxItems", "max-items", False, '"type": "array"'),
        ("minProperties", "min-properties", True, '"type": "object"'),
        ("maxProperties", "max-properties", False, '"type": "object"'),
    ):
        tighter, looser = ("increased", "decreased") if lower else ("decreased", "increased")
        lo, hi = (1, 5) if lower else (5, 1)
        out += [
            SchemaKind(
                f"{name}-{tighter}",
                B,
                N,
                f"`{kw}` {tighter} (fewer values are valid)",
                f"{{{sample}, {kw!r}: {lo}}}".replace("'", '"'),
                f"{{{sample}, {kw!r}: {hi}}}".replace("'", '"'),
            ),
            SchemaKind(
                f"{name}-{looser}",
                N,
                B,
                f"`{kw}` {looser} (more values are valid)",
                f"{{{sample}, {kw!r}: {hi}}}".replace("'", '"'),
                f"{{{sample}, {kw!r}: {lo}}}".replace("'", '"'),
            ),
            SchemaKind(
                f"{name}-added",
                B,
                N,
                f"`{kw}` set where there was none",
                f"{{{sample}}}",
                f"{{{sample}, {kw!r}: {lo}}}".replace("'", '"'),
            ),
            SchemaKind(
                f"{name}-removed",
                N,
                B,
                f"`{kw}` no longer set",
                f"{{{sample}, {kw!r}: {lo}}}".replace("'", '"'),
                f"{{{sample}}}",
            ),
        ]
    return out


KINDS: tuple[SchemaKind, ...] = (
    SchemaKind(
        "type-narrowed",
        B,
        N,
        "fewer JSON types are valid (`number` → `integer`, a type dropped from a list)",
        '{"type": ["string", "integer"]}',
        '{"type": "string"}',
    ),
    SchemaKind(
        "type-widened",
        N,
        B,
        "more JSON types are valid (`integer` → `number`, a type added to a list)",
        '{"type": "string"}',
        '{"type": ["string", "integer"]}',
    ),
    SchemaKind(
        "type-changed",
        B,
        B,
        "the JSON type changed to an unrelated one",
        '{"type": "string"}',
        '{"type": "boolean"}',
    ),
    SchemaKind(
        "nullable-removed",
        B,
        N,
        "`null` is no longer valid (3.0 `nullable`, a `null` type or a `null` branch)",
        '{"type": ["string", "null"]}',
        '{"type": "string"}',
    ),
    SchemaKind(
        "nullable-added",
        N,
        B,
        "`null` became valid",
        '{"type": "string"}',
        '{"type": "string", "nullable": true}',
    ),
    SchemaKind(
        "enum-value-removed",
        B,
        N,
        "a value was removed from `enum` (or `const` changed)",
        '{"enum": ["a", "b"]}',
        '{"enum": ["a"]}',
    ),
    SchemaKind(
        "enum-value-added",
        N,
        W,
        "a value was added to `enum`: clients that switch over it meet one they do not know",
        '{"enum": ["a"]}',
        '{"enum": ["a", "b"]}',
    ),
    SchemaKind(
        "enum-added",
        B,
        N,
        "values are restricted by a new `enum` or `const`",
        '{"type": "string"}',
        '{"type": "string", "enum": ["a"]}',
    ),
    SchemaKind(
        "enum-removed",
        N,
        W,
        "the `enum` or `const` restriction was removed",
        '{"type": "string", "enum": ["a"]}',
        '{"type": "string"}',
    ),
    SchemaKind(
        "format-added",
        B,
        N,
        "a `format` was set where there was none",
        '{"type": "string"}',
        '{"type": "string", "format": "uuid"}',
    ),
    SchemaKind(
        "format-removed",
        N,
        W,
        "the `format` was removed: values of any shape may appear",
        '{"type": "string", "format": "uuid"}',
        '{"type": "string"}',
    ),
    SchemaKind(
        "format-changed",
        B,
        B,
        "the `format` changed",
        '{"type": "string", "format": "date"}',
        '{"type": "string", "format": "date-time"}',
    ),
    *_bounds(),
    SchemaKind(
        "multiple-of-added",
        B,
        N,
        "`multipleOf` set where there was none",
        '{"type": "integer"}',
        '{"type": "integer", "multipleOf": 5}',
    ),
    SchemaKind(
        "multiple-of-removed",
        N,
        B,
        "`multipleOf` no longer set",
        '{"type": "integer", "multipleOf": 5}',
        '{"type": "integer"}',
    ),
    SchemaKind(
        "multiple-of-changed",
        B,
        B,
        "`multipleOf` changed",
        '{"type": "integer", "multipleOf": 5}',
        '{"type": "integer", "multipleOf": 3}',
    ),
    SchemaKind(
        "pattern-added",
        B,
        N,
        "a `pattern` was set where there was none",
        '{"type": "string"}',
        '{"type": "string", "pattern": "^[a-z]+$"}',
    ),
    SchemaKind(
        "pattern-removed",
        N,
        W,
        "the `pattern` was removed",
        '{"type": "string", "pattern": "^[a-z]+$"}',
        '{"type": "string"}',
    ),
    SchemaKind(
        "pattern-changed",
        B,
        W,
        "the `pattern` changed (whether it narrowed cannot be told)",
        '{"type": "string", "pattern": "^[a-z]+$"}',
        '{"type": "string", "pattern": "^[a-z0-9]+$"}',
    ),
    SchemaKind(
        "unique-items-added",
        B,
        N,
        "array items must now be unique",
        '{"type": "array"}',
        '{"type": "array", "uniqueItems": true}',
    ),
    SchemaKind(
        "unique-items-removed",
        N,
        W,
        "array items may now repeat",
        '{"type": "array", "uniqueItems": true}',
        '{"type": "array"}',
    ),
    SchemaKind(
        "property-added",
        N,
        N,
        "an optional property was added",
        '{"type": "object", "properties": {"a": {}}}',
        '{"type": "object", "properties": {"a": {}, "b": {}}}',
    ),
    SchemaKind(
        "required-property-added",
        B,
        N,
        "a required property was added: requests without it fail",
        '{"type": "object", "properties": {"a": {}}}',
        '{"type": "object", "properties": {"a": {}, "b": {}}, "required": ["b"]}',
    ),
    SchemaKind(
        "property-removed",
        W,
        W,
        "an optional property was removed: senders' values are ignored or refused, readers lose it",
        '{"type": "object", "properties": {"a": {}, "b": {}}}',
        '{"type": "object", "properties": {"a": {}}}',
    ),
    SchemaKind(
        "required-property-removed",
        W,
        B,
        "a required property was removed: clients reading it break",
        '{"type": "object", "properties": {"a": {}, "b": {}}, "required": ["b"]}',
        '{"type": "object", "properties": {"a": {}}}',
    ),
    SchemaKind(
        "property-became-required",
        B,
        N,
        "an optional property became required",
        '{"type": "object", "properties": {"a": {}}}',
        '{"type": "object", "properties": {"a": {}}, "required": ["a"]}',
    ),
    SchemaKind(
        "property-became-optional",
        N,
        B,
        "a required property became optional: readers may no longer get it",
        '{"type": "object", "properties": {"a": {}}, "required": ["a"]}',
        '{"type": "object", "properties": {"a": {}}}',
    ),
    SchemaKind(
        "property-became-read-only",
        W,
        N,
        "a property became `readOnly`: values sent in requests are ignored",
        '{"type": "object", "properties": {"a": {}}}',
        '{"type": "object", "properties": {"a": {"readOnly": true}}}',
    ),
    SchemaKind(
        "property-became-writable",
        N,
        N,
        "a `readOnly` property may now be sent",
        '{"type": "object", "properties": {"a": {"readOnly": true}}}',
        '{"type": "object", "properties": {"a": {}}}',
    ),
    SchemaKind(
        "property-became-write-only",
        N,
        B,
        "a property became `writeOnly`: responses no longer carry it",
        '{"type": "object", "properties": {"a": {}}}',
        '{"type": "object", "properties": {"a": {"writeOnly": true}}}',
    ),
    SchemaKind(
        "property-became-readable",
        N,
        N,
        "a `writeOnly` property is now returned",
        '{"type": "object", "properties": {"a": {"writeOnly": true}}}',
        '{"type": "object", "properties": {"a": {}}}',
    ),
    SchemaKind(
        "additional-properties-narrowed",
        B,
        N,
        "properties not listed are refused (`additionalProperties: false`)",
        '{"type": "object"}',
        '{"type": "object", "additionalProperties": false}',
    ),
    SchemaKind(
        "additional-properties-widened",
        N,
        W,
        "properties not listed are now allowed",
        '{"type": "object", "additionalProperties": false}',
        '{"type": "object"}',
    ),
    SchemaKind(
        "variant-added",
        N,
        W,
        "a `oneOf`/`anyOf` branch was added",
        '{"oneOf": [{"type": "string"}, {"type": "integer"}]}',
        '{"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]}',
    ),
    SchemaKind(
        "variant-removed",
        B,
        N,
        "a `oneOf`/`anyOf` branch was removed",
        '{"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]}',
        '{"oneOf": [{"type": "string"}, {"type": "integer"}]}',
    ),
    SchemaKind(
        "discriminator-added",
        W,
        N,
        "a `discriminator` was added: the property now selects the branch",
        '{"oneOf": [...]}',
        '{"oneOf": [...], "discriminator": {"propertyName": "kind"}}',
    ),
    SchemaKind(
        "discriminator-removed",
        N,
        W,
        "the `discriminator` was removed",
        '{"oneOf": [...], "discriminator": {"propertyName": "kind"}}',
        '{"oneOf": [...]}',
    ),
    SchemaKind(
        "discriminator-property-changed",
        B,
        B,
        "the `discriminator`'s `propertyName` changed",
        '{"discriminator": {"propertyName": "kind"}}',
        '{"discriminator": {"propertyName": "type"}}',
    ),
    SchemaKind(
        "discriminator-mapping-removed",
        B,
        N,
        "a `discriminator` mapping value was removed",
        '{"discriminator": {"propertyName": "k", "mapping": {"a": "#/A", "b": "#/B"}}}',
        '{"discriminator": {"propertyName": "k", "mapping": {"a": "#/A"}}}',
    ),
    SchemaKind(
        "discriminator-mapping-added",
        N,
        W,
        "a `discriminator` mapping value was added",
        '{"discriminator": {"propertyName": "k", "mapping": {"a": "#/A"}}}',
        '{"discriminator": {"propertyName": "k", "mapping": {"a": "#/A", "b": "#/B"}}}',
    ),
    SchemaKind(
        "default-changed",
        B,
        N,
        "the `default` changed: clients that leave the value out get another behaviour",
        '{"type": "integer", "default": 20}',
        '{"type": "integer", "default": 50}',
    ),
    SchemaKind(
        "default-added",
        N,
        N,
        "a `default` was set",
        '{"type": "integer"}',
        '{"type": "integer", "default": 20}',
    ),
    SchemaKind(
        "default-removed",
        W,
        N,
        "the `default` was removed: what a left-out value means is no longer stated",
        '{"type": "integer", "default": 20}',
        '{"type": "integer"}',
    ),
    SchemaKind(
        "not-added",
        B,
        N,
        "a `not` subschema now excludes values",
        '{"type": "string"}',
        '{"type": "string", "not": {"enum": ["x"]}}',
    ),
    SchemaKind(
        "not-removed",
        N,
        B,
        "the `not` subschema was removed",
        '{"type": "string", "not": {"enum": ["x"]}}',
        '{"type": "string"}',
    ),
    SchemaKind(
        "schema-deprecated",
        N,
        N,
        "the schema or property was marked `deprecated`",
        '{"type": "string"}',
        '{"type": "string", "deprecated": true}',
    ),
    SchemaKind(
        "schema-undeprecated",
        N,
        N,
        "the schema or property is no longer `deprecated`",
        '{"type": "string", "deprecated": true}',
        '{"type": "string"}',
    ),
)

_BY_KIND = {k.kind: k for k in KINDS}


def schema_rule_id(context: str, kind: str) -> str:
    """The rule id of ``kind`` in ``context``: ``response-body-type-widened``."""
    return f"{context}-{kind}"


def schema_rules() -> list[Rule]:
    """Every schema rule: each kind in each context, with the level of its side."""
    rules: list[Rule] = []
    for context, (side, words) in CONTEXTS.items():
        for k in KINDS:
            level = k.request if side is Side.REQUEST else k.response
            rules.append(
                Rule(
                    schema_rule_id(context, k.kind),
                    level,
                    f"In {words}, {k.description}.",
                    k.before,
                    k.after,
                )
            )
    return rules


def kind(name: str) -> SchemaKind:
    """The kind named ``name`` (a ``KeyError`` names a kind the checker never reports)."""
    return _BY_KIND[name]
