"""oasdiff's breaking (ERR-level) rules and the accord rules that report the same change.

``python -m tests.unit.compat.oasdiff_map > docs/compat-oasdiff-map.md`` writes the
table; ``test_oasdiff_map.py`` keeps it in sync and checks that every accord id named
here exists.

Source: oasdiff/oasdiff ``checker/rules.go`` (``GetAllRules``), every rule declared at
level ``ERR``. Its ids are the rule constants' values; they were derived from the
constant names (``RequestBodyMaxSetId`` → ``request-body-max-set``), with the few that
differ (``sunset-deleted``, ``request-body-added-required``…) taken from
``checker/localizations_src/en/messages.yaml`` and a sample checked against the
constants' definitions in ``checker/check_*.go``. oasdiff could not
be run here (see docs/decisions/0005-own-openapi-diff.md), so the mapping says which
accord rule fires on the change the oasdiff rule describes; each of those accord rules
has a fixture pair under ``tests/unit/compat``.
"""

from __future__ import annotations

from accord import compat

__all__ = ["OASDIFF_ERR", "OASDIFF_WARN", "main", "markdown"]

#: A policy on one document, not a difference between two: a deprecation without a
#: sunset date or with one too close, a stability level that is not one of the four.
POLICY = "policy"
#: ``x-stability-level`` on a schema property: accord reads it on operations only.
PROPERTY_STABILITY = "property-stability"
#: OpenAPI 3.2's ``itemSchema``: accord reads 3.0 and 3.1 documents.
OAS_3_2 = "openapi-3.2"

#: (oasdiff rule id, accord rule ids that report the change, or why none applies)
OASDIFF_ERR: tuple[tuple[str, tuple[str, ...] | str], ...] = (
    ("request-property-deprecated-sunset-missing", POLICY),
    ("request-property-deprecated-sunset-invalid", POLICY),
    ("request-property-sunset-date-too-small", POLICY),
    ("response-property-deprecated-sunset-missing", POLICY),
    ("response-property-deprecated-sunset-invalid", POLICY),
    ("response-property-sunset-date-too-small", POLICY),
    ("api-security-removed", ("security-alternative-removed",)),
    ("api-security-scope-added", ("security-scope-added",)),
    ("api-global-security-removed", ("security-alternative-removed",)),
    ("api-global-security-scope-added", ("security-scope-added",)),
    ("api-stability-decreased", ("stability-level-decreased",)),
    ("request-property-stability-decreased", PROPERTY_STABILITY),
    ("response-property-stability-decreased", PROPERTY_STABILITY),
    ("api-deprecated-sunset-parse", POLICY),
    ("api-deprecated-sunset-missing", POLICY),
    ("api-invalid-stability-level", POLICY),
    ("api-sunset-date-too-small", POLICY),
    ("request-parameter-deprecated-sunset-missing", POLICY),
    ("request-parameter-sunset-date-too-small", POLICY),
    ("api-path-removed-without-deprecation", ("operation-removed",)),
    ("api-path-sunset-parse", POLICY),
    ("api-path-removed-before-sunset", ("operation-removed-before-sunset",)),
    ("api-removed-without-deprecation", ("operation-removed",)),
    ("api-removed-before-sunset", ("operation-removed-before-sunset",)),
    ("sunset-deleted", ("operation-sunset-removed",)),
    ("api-sunset-date-changed-too-small", ("operation-sunset-earlier",)),
    ("request-parameter-sunset-deleted", ("request-parameter-sunset-removed",)),
    ("request-parameter-sunset-date-changed-too-small", ("request-parameter-sunset-earlier",)),
    ("request-body-added-required", ("required-request-body-added",)),
    (
        "new-required-request-default-parameter-to-existing-path",
        ("required-request-parameter-added",),
    ),
    ("new-required-request-parameter", ("required-request-parameter-added",)),
    ("new-request-path-parameter", ("operation-removed",)),
    ("new-required-request-header-property", ("request-parameter-required-property-added",)),
    ("request-body-became-enum", ("request-body-enum-added",)),
    ("request-body-media-type-removed", ("request-media-type-removed",)),
    ("request-body-media-type-schema-added", ("request-body-type-narrowed",)),
    ("response-body-media-type-schema-removed", ("response-body-type-widened",)),
    ("request-body-media-type-item-schema-added", OAS_3_2),
    ("response-body-media-type-item-schema-removed", OAS_3_2),
    ("response-body-media-type-item-schema-removed-untyped", OAS_3_2),
    ("request-body-removed", ("request-body-removed",)),
    ("request-body-became-required", ("request-body-became-required",)),
    ("request-header-property-became-enum", ("request-parameter-enum-added",)),
    ("request-header-property-became-required", ("request-parameter-property-became-required",)),
    ("request-parameter-became-enum", ("request-parameter-enum-added",)),
    ("request-parameter-became-not-nullable", ("request-parameter-nullable-removed",)),
    ("request-parameter-property-became-not-nullable", ("request-parameter-nullable-removed",)),
    ("request-parameter-enum-value-removed", ("request-parameter-enum-value-removed",)),
    ("request-parameter-property-enum-value-removed", ("request-parameter-enum-value-removed",)),
    ("request-parameter-max-items-decreased", ("request-parameter-max-items-decreased",)),
    ("request-parameter-max-length-set", ("request-parameter-max-length-added",)),
    ("request-parameter-max-length-decreased", ("request-parameter-max-length-decreased",)),
    ("request-parameter-max-set", ("request-parameter-maximum-added",)),
    ("request-parameter-exclusive-max-set", ("request-parameter-maximum-added",)),
    ("request-parameter-max-decreased", ("request-parameter-maximum-decreased",)),
    ("request-parameter-exclusive-max-decreased", ("request-parameter-maximum-decreased",)),
    ("request-parameter-min-items-set", ("request-parameter-min-items-added",)),
    ("request-parameter-min-items-increased", ("request-parameter-min-items-increased",)),
    ("request-parameter-min-length-increased", ("request-parameter-min-length-increased",)),
    ("request-parameter-min-set", ("request-parameter-minimum-added",)),
    ("request-parameter-exclusive-min-set", ("request-parameter-minimum-added",)),
    ("request-parameter-min-increased", ("request-parameter-minimum-increased",)),
    ("request-parameter-exclusive-min-increased", ("request-parameter-minimum-increased",)),
    ("request-parameter-pattern-added", ("request-parameter-pattern-added",)),
    ("request-parameter-sunset-parse", POLICY),
    ("request-parameter-removed-before-sunset", ("request-parameter-removed-before-sunset",)),
    ("request-parameter-became-required", ("request-parameter-became-required",)),
    ("request-parameter-type-changed", ("request-parameter-type-changed",)),
    ("request-parameter-property-type-specialized", ("request-parameter-type-narrowed",)),
    (
        "request-parameter-x-extensible-enum-value-removed",
        ("request-parameter-extensible-enum-value-removed",),
    ),
    ("request-body-all-of-added", ("request-body-required-property-added",)),
    ("request-property-all-of-added", ("request-body-required-property-added",)),
    ("request-body-any-of-removed", ("request-body-variant-removed",)),
    ("request-property-any-of-removed", ("request-body-variant-removed",)),
    ("request-property-became-enum", ("request-body-enum-added",)),
    ("request-body-became-not-nullable", ("request-body-nullable-removed",)),
    ("request-property-became-not-nullable", ("request-body-nullable-removed",)),
    ("request-body-const-added", ("request-body-enum-added",)),
    ("request-body-const-changed", ("request-body-enum-value-removed",)),
    ("request-property-const-added", ("request-body-enum-added",)),
    ("request-property-const-changed", ("request-body-enum-value-removed",)),
    ("request-property-enum-value-removed", ("request-body-enum-value-removed",)),
    ("request-body-max-decreased", ("request-body-maximum-decreased",)),
    ("request-property-max-decreased", ("request-body-maximum-decreased",)),
    ("request-body-exclusive-max-decreased", ("request-body-maximum-decreased",)),
    ("request-property-exclusive-max-decreased", ("request-body-maximum-decreased",)),
    ("request-body-max-length-set", ("request-body-max-length-added",)),
    ("request-property-max-length-set", ("request-body-max-length-added",)),
    ("request-body-max-length-decreased", ("request-body-max-length-decreased",)),
    ("request-property-max-length-decreased", ("request-body-max-length-decreased",)),
    ("request-body-max-set", ("request-body-maximum-added",)),
    ("request-property-max-set", ("request-body-maximum-added",)),
    ("request-body-exclusive-max-set", ("request-body-maximum-added",)),
    ("request-property-exclusive-max-set", ("request-body-maximum-added",)),
    ("request-body-min-increased", ("request-body-minimum-increased",)),
    ("request-property-min-increased", ("request-body-minimum-increased",)),
    ("request-body-exclusive-min-increased", ("request-body-minimum-increased",)),
    ("request-property-exclusive-min-increased", ("request-body-minimum-increased",)),
    ("request-body-min-items-increased", ("request-body-min-items-increased",)),
    ("request-property-min-items-increased", ("request-body-min-items-increased",)),
    ("request-body-min-items-set", ("request-body-min-items-added",)),
    ("request-property-min-items-set", ("request-body-min-items-added",)),
    ("request-body-min-length-increased", ("request-body-min-length-increased",)),
    ("request-property-min-length-increased", ("request-body-min-length-increased",)),
    ("request-body-min-set", ("request-body-minimum-added",)),
    ("request-property-min-set", ("request-body-minimum-added",)),
    ("request-body-exclusive-min-set", ("request-body-minimum-added",)),
    ("request-property-exclusive-min-set", ("request-body-minimum-added",)),
    ("request-body-one-of-removed", ("request-body-variant-removed",)),
    ("request-property-one-of-removed", ("request-body-variant-removed",)),
    ("request-property-pattern-added", ("request-body-pattern-added",)),
    ("request-property-became-required", ("request-body-property-became-required",)),
    ("request-property-became-required-with-default", ("request-body-property-became-required",)),
    ("request-body-type-changed", ("request-body-type-changed",)),
    ("request-property-type-changed", ("request-body-type-changed",)),
    ("new-required-request-property", ("request-body-required-property-added",)),
    ("new-required-request-property-with-default", ("request-body-required-property-added",)),
    ("request-body-wrapped-in-one-of", ("request-body-wrapped-in-one-of",)),
    (
        "request-property-x-extensible-enum-value-removed",
        ("request-body-extensible-enum-value-removed",),
    ),
    ("response-header-became-optional", ("response-header-became-optional",)),
    ("required-response-header-removed", ("response-required-header-removed",)),
    ("response-header-type-changed", ("response-header-type-changed",)),
    ("response-header-type-generalized", ("response-header-type-widened",)),
    ("response-header-became-nullable", ("response-header-nullable-added",)),
    ("response-media-type-removed", ("response-media-type-removed",)),
    ("response-media-type-name-generalized", ("response-media-type-removed",)),
    ("response-property-pattern-removed", ("response-body-pattern-removed",)),
    ("response-body-all-of-removed", ("response-body-required-property-removed",)),
    ("response-property-all-of-removed", ("response-body-required-property-removed",)),
    ("response-body-any-of-added", ("response-body-variant-added",)),
    ("response-property-any-of-added", ("response-body-variant-added",)),
    ("response-property-became-nullable", ("response-body-nullable-added",)),
    ("response-body-became-nullable", ("response-body-nullable-added",)),
    ("response-property-became-optional", ("response-body-property-became-optional",)),
    ("response-body-const-removed", ("response-body-enum-removed",)),
    ("response-body-const-changed", ("response-body-enum-value-added",)),
    ("response-property-const-removed", ("response-body-enum-removed",)),
    ("response-property-const-changed", ("response-body-enum-value-added",)),
    ("response-body-max-increased", ("response-body-maximum-increased",)),
    ("response-property-max-increased", ("response-body-maximum-increased",)),
    ("response-body-exclusive-max-increased", ("response-body-maximum-increased",)),
    ("response-property-exclusive-max-increased", ("response-body-maximum-increased",)),
    ("response-body-max-length-increased", ("response-body-max-length-increased",)),
    ("response-property-max-length-increased", ("response-body-max-length-increased",)),
    ("response-body-max-length-unset", ("response-body-max-length-removed",)),
    ("response-property-max-length-unset", ("response-body-max-length-removed",)),
    ("response-body-min-decreased", ("response-body-minimum-decreased",)),
    ("response-property-min-decreased", ("response-body-minimum-decreased",)),
    ("response-body-exclusive-min-decreased", ("response-body-minimum-decreased",)),
    ("response-property-exclusive-min-decreased", ("response-body-minimum-decreased",)),
    ("response-body-min-items-decreased", ("response-body-min-items-decreased",)),
    ("response-property-min-items-decreased", ("response-body-min-items-decreased",)),
    ("response-body-min-items-unset", ("response-body-min-items-removed",)),
    ("response-property-min-items-unset", ("response-body-min-items-removed",)),
    ("response-body-min-length-decreased", ("response-body-min-length-decreased",)),
    ("response-property-min-length-decreased", ("response-body-min-length-decreased",)),
    ("response-body-one-of-added", ("response-body-variant-added",)),
    ("response-property-one-of-added", ("response-body-variant-added",)),
    ("response-body-type-changed", ("response-body-type-changed",)),
    ("response-body-type-generalized", ("response-body-type-widened",)),
    ("response-property-type-changed", ("response-body-type-changed",)),
    ("response-property-type-generalized", ("response-body-type-widened",)),
    ("response-required-property-removed", ("response-body-required-property-removed",)),
    ("response-body-wrapped-in-one-of", ("response-body-wrapped-in-one-of",)),
    ("response-success-status-removed", ("response-success-status-removed",)),
    ("webhook-removed", ("webhook-removed",)),
    ("request-body-enum-value-removed", ("request-body-enum-value-removed",)),
    ("request-body-list-of-types-narrowed", ("request-body-type-narrowed",)),
    ("request-property-list-of-types-narrowed", ("request-body-type-narrowed",)),
    ("response-body-list-of-types-widened", ("response-body-type-widened",)),
    ("response-property-list-of-types-widened", ("response-body-type-widened",)),
    ("request-parameter-list-of-types-narrowed", ("request-parameter-type-narrowed",)),
    ("request-parameter-property-list-of-types-narrowed", ("request-parameter-type-narrowed",)),
    ("request-body-prefix-items-removed", ("request-body-prefix-items-removed",)),
    ("request-property-prefix-items-removed", ("request-body-prefix-items-removed",)),
    ("response-body-prefix-items-added", ("response-body-prefix-items-added",)),
    ("response-property-prefix-items-added", ("response-body-prefix-items-added",)),
    ("request-body-if-added", ("request-body-conditional-added",)),
    ("request-body-then-added", ("request-body-conditional-added",)),
    ("request-body-else-added", ("request-body-conditional-added",)),
    ("request-property-if-added", ("request-body-conditional-added",)),
    ("request-property-then-added", ("request-body-conditional-added",)),
    ("request-property-else-added", ("request-body-conditional-added",)),
    ("response-body-if-removed", ("response-body-conditional-removed",)),
    ("response-body-then-removed", ("response-body-conditional-removed",)),
    ("response-body-else-removed", ("response-body-conditional-removed",)),
    ("response-property-if-removed", ("response-body-conditional-removed",)),
    ("response-property-then-removed", ("response-body-conditional-removed",)),
    ("response-property-else-removed", ("response-body-conditional-removed",)),
    ("request-body-contains-added", ("request-body-contains-added",)),
    ("request-body-min-contains-increased", ("request-body-min-contains-increased",)),
    ("request-body-max-contains-decreased", ("request-body-max-contains-decreased",)),
    ("request-property-contains-added", ("request-body-contains-added",)),
    ("request-property-min-contains-increased", ("request-body-min-contains-increased",)),
    ("request-property-max-contains-decreased", ("request-body-max-contains-decreased",)),
    ("response-body-contains-removed", ("response-body-contains-removed",)),
    ("response-body-min-contains-decreased", ("response-body-min-contains-decreased",)),
    ("response-body-max-contains-increased", ("response-body-max-contains-increased",)),
    ("response-property-contains-removed", ("response-body-contains-removed",)),
    ("response-property-min-contains-decreased", ("response-body-min-contains-decreased",)),
    ("response-property-max-contains-increased", ("response-body-max-contains-increased",)),
    ("request-body-dependent-required-added", ("request-body-dependent-required-added",)),
    (
        "request-body-dependent-required-changed",
        ("request-body-dependent-required-added", "request-body-dependent-required-removed"),
    ),
    ("request-property-dependent-required-added", ("request-body-dependent-required-added",)),
    (
        "request-property-dependent-required-changed",
        ("request-body-dependent-required-added", "request-body-dependent-required-removed"),
    ),
    ("response-body-dependent-required-removed", ("response-body-dependent-required-removed",)),
    (
        "response-body-dependent-required-changed",
        ("response-body-dependent-required-added", "response-body-dependent-required-removed"),
    ),
    ("response-property-dependent-required-removed", ("response-body-dependent-required-removed",)),
    (
        "response-property-dependent-required-changed",
        ("response-body-dependent-required-added", "response-body-dependent-required-removed"),
    ),
    ("request-body-dependent-schema-added", ("request-body-dependent-schema-added",)),
    ("request-property-dependent-schema-added", ("request-body-dependent-schema-added",)),
    ("response-body-dependent-schema-removed", ("response-body-dependent-schema-removed",)),
    ("response-property-dependent-schema-removed", ("response-body-dependent-schema-removed",)),
    ("request-body-pattern-property-added", ("request-body-pattern-property-added",)),
    ("request-property-pattern-property-added", ("request-body-pattern-property-added",)),
    ("response-body-pattern-property-removed", ("response-body-pattern-property-removed",)),
    ("response-property-pattern-property-removed", ("response-body-pattern-property-removed",)),
    ("request-body-property-names-added", ("request-body-property-names-added",)),
    ("request-property-property-names-added", ("request-body-property-names-added",)),
    ("response-body-property-names-removed", ("response-body-property-names-removed",)),
    ("response-property-property-names-removed", ("response-body-property-names-removed",)),
    ("request-body-unevaluated-items-added", ("request-body-unevaluated-items-added",)),
    ("request-body-unevaluated-properties-added", ("request-body-unevaluated-properties-added",)),
    ("request-property-unevaluated-items-added", ("request-body-unevaluated-items-added",)),
    (
        "request-property-unevaluated-properties-added",
        ("request-body-unevaluated-properties-added",),
    ),
    ("response-body-unevaluated-items-removed", ("response-body-unevaluated-items-removed",)),
    (
        "response-body-unevaluated-properties-removed",
        ("response-body-unevaluated-properties-removed",),
    ),
    ("response-property-unevaluated-items-removed", ("response-body-unevaluated-items-removed",)),
    (
        "response-property-unevaluated-properties-removed",
        ("response-body-unevaluated-properties-removed",),
    ),
    ("request-body-content-schema-added", ("request-body-content-schema-added",)),
    ("request-body-content-media-type-changed", ("request-body-content-media-type-changed",)),
    ("request-body-content-encoding-changed", ("request-body-content-encoding-changed",)),
    ("request-property-content-schema-added", ("request-body-content-schema-added",)),
    ("request-property-content-media-type-changed", ("request-body-content-media-type-changed",)),
    ("request-property-content-encoding-changed", ("request-body-content-encoding-changed",)),
    ("response-body-content-schema-removed", ("response-body-content-schema-removed",)),
    ("response-body-content-media-type-changed", ("response-body-content-media-type-changed",)),
    ("response-body-content-encoding-changed", ("response-body-content-encoding-changed",)),
    ("response-property-content-schema-removed", ("response-body-content-schema-removed",)),
    ("response-property-content-media-type-changed", ("response-body-content-media-type-changed",)),
    ("response-property-content-encoding-changed", ("response-body-content-encoding-changed",)),
    ("request-body-max-items-decreased", ("request-body-max-items-decreased",)),
    ("request-property-max-items-decreased", ("request-body-max-items-decreased",)),
    ("request-body-max-items-set", ("request-body-max-items-added",)),
    ("request-property-max-items-set", ("request-body-max-items-added",)),
    ("response-body-max-items-increased", ("response-body-max-items-increased",)),
    ("response-property-max-items-increased", ("response-body-max-items-increased",)),
    ("request-body-max-properties-decreased", ("request-body-max-properties-decreased",)),
    ("request-property-max-properties-decreased", ("request-body-max-properties-decreased",)),
    ("request-body-max-properties-set", ("request-body-max-properties-added",)),
    ("request-property-max-properties-set", ("request-body-max-properties-added",)),
    ("response-body-max-properties-increased", ("response-body-max-properties-increased",)),
    ("response-property-max-properties-increased", ("response-body-max-properties-increased",)),
    ("request-body-min-properties-increased", ("request-body-min-properties-increased",)),
    ("request-property-min-properties-increased", ("request-body-min-properties-increased",)),
    ("response-body-min-properties-decreased", ("response-body-min-properties-decreased",)),
    ("response-property-min-properties-decreased", ("response-body-min-properties-decreased",)),
    ("request-body-unique-items-set", ("request-body-unique-items-added",)),
    ("request-property-unique-items-set", ("request-body-unique-items-added",)),
    ("response-body-unique-items-unset", ("response-body-unique-items-removed",)),
    ("response-property-unique-items-unset", ("response-body-unique-items-removed",)),
    ("request-body-multiple-of-set", ("request-body-multiple-of-added",)),
    ("request-property-multiple-of-set", ("request-body-multiple-of-added",)),
    ("request-body-multiple-of-changed", ("request-body-multiple-of-changed",)),
    ("request-property-multiple-of-changed", ("request-body-multiple-of-changed",)),
    ("response-body-multiple-of-unset", ("response-body-multiple-of-removed",)),
    ("response-property-multiple-of-unset", ("response-body-multiple-of-removed",)),
    ("response-body-multiple-of-changed", ("response-body-multiple-of-changed",)),
    ("response-property-multiple-of-changed", ("response-body-multiple-of-changed",)),
)

#: oasdiff's rules at level ``WARN``, the same way.
OASDIFF_WARN: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("request-parameter-pattern-changed", ("request-parameter-pattern-changed",)),
    ("request-parameter-removed", ("request-parameter-removed",)),
    ("request-parameter-property-type-changed", ("request-parameter-type-changed",)),
    ("request-property-pattern-changed", ("request-body-pattern-changed",)),
    ("request-property-removed", ("request-body-property-removed",)),
    ("optional-response-header-removed", ("response-optional-header-removed",)),
    ("response-property-pattern-changed", ("response-body-pattern-changed",)),
    ("response-property-enum-value-added", ("response-body-enum-value-added",)),
    (
        "response-required-property-became-non-write-only",
        ("response-body-property-became-readable",),
    ),
)

_WHY = {
    POLICY: "not applicable: a policy on one document (sunset dates, invalid levels)",
    PROPERTY_STABILITY: "not read: `x-stability-level` on a property (read on operations)",
    OAS_3_2: "not applicable: OpenAPI 3.2 `itemSchema`",
}


def markdown() -> str:
    """The mapping as Markdown: coverage figures, then one row per oasdiff rule."""
    applicable = [(i, m) for i, m in OASDIFF_ERR if not isinstance(m, str)]
    breaking = [
        i for i, m in applicable if any(compat.RULES[r].level is compat.Level.BREAKING for r in m)
    ]
    skipped = len(OASDIFF_ERR) - len(applicable)
    lines = [
        "# oasdiff's breaking rules, mapped to accord's",
        "",
        "<!-- Generated: `python -m tests.unit.compat.oasdiff_map > "
        "docs/compat-oasdiff-map.md`. -->",
        "",
        "Every rule oasdiff (`checker/rules.go`) declares at level `ERR`, and the accord "
        "rules of [compat-rules.md](compat-rules.md) that report the same change. oasdiff "
        "cannot be installed here, so this is a reading of its catalogue, not a run of it; "
        "each accord rule named has a fixture pair in `tests/unit/compat`.",
        "",
        f"- oasdiff `ERR` rules: {len(OASDIFF_ERR)}; not applicable: {skipped} "
        "(policies on one document, stability levels of properties, OpenAPI 3.2).",
        f"- Covered: {len(applicable)} of {len(applicable)} applicable rules have an accord "
        f"rule that fires; {len(breaking)} of them "
        f"({100 * len(breaking) / len(applicable):.1f}%) at level `breaking`.",
        "- The others are reported at a lower level on purpose: a new `oneOf`/`anyOf` "
        "branch, a removed `const`/`enum` restriction, a removed `pattern` or "
        "`uniqueItems` in a response are warnings (clients meet values they may not "
        "expect; the issue asks for a new enum value to be a warning), a schema wrapped in "
        "a `oneOf` in a request is a widening (info), a sunset date withdrawn or moved is "
        "a warning or info.",
        "- Where oasdiff's own fixture pairs and accord disagree (`maxItems` on a string, "
        "security added to an operation, a request property made nullable in 3.1), "
        "[compat.md](compat.md#where-accord-and-oasdiff-disagree) argues each case.",
        "- `allOf` is flattened before comparing, so an `allOf` member added or removed is "
        "reported by the rules of what it brings (a required property, a bound…); the "
        "row names the most common. A new path parameter changes the path template, so "
        "the operation is reported removed (and the new one added).",
        "",
        "| oasdiff rule | accord rules | accord level |",
        "|---|---|---|",
    ]
    for oasdiff_id, mapped in OASDIFF_ERR:
        if isinstance(mapped, str):
            lines.append(f"| `{oasdiff_id}` | {_WHY[mapped]} | |")
            continue
        lines.append(_row(oasdiff_id, mapped))
    lines += [
        "",
        f"oasdiff's {len(OASDIFF_WARN)} `WARN` rules, all covered:",
        "",
        "| oasdiff rule | accord rules | accord level |",
        "|---|---|---|",
    ]
    lines += [_row(oasdiff_id, mapped) for oasdiff_id, mapped in OASDIFF_WARN]
    return "\n".join(lines) + "\n"


def _row(oasdiff_id: str, mapped: tuple[str, ...]) -> str:
    level = max((compat.RULES[r].level for r in mapped), key=lambda lv: lv.rank)
    names = ", ".join(f"`{r}`" for r in mapped)
    return f"| `{oasdiff_id}` | {names} | {level.value} |"


def main() -> None:
    """Print the Markdown table."""
    print(markdown(), end="")


if __name__ == "__main__":
    main()
