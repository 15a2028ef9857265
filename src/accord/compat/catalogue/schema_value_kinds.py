"""Schema change kinds about the values a schema admits: types, null, enums, formats,
bounds and patterns."""

from __future__ import annotations

from dataclasses import dataclass

from accord.compat.types import Level

__all__ = ["VALUE_KINDS", "SchemaKind"]

B, W, N = Level.BREAKING, Level.WARNING, Level.INFO


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


VALUE_KINDS: tuple[SchemaKind, ...] = (
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
)
