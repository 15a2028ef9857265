"""Schema rules: one rule per (where the schema is read, and what changed in it).

A schema is read either by the server (request parameters and bodies) or by clients
(response bodies and headers). The same change is judged by its reader: narrowing what
a request may hold breaks clients that send the old values, widening what a response may
hold breaks clients that read it. Each kind below carries its level on either side, and
the catalogue holds its rule for each of the four places a schema appears.
"""

from __future__ import annotations

from accord.compat.catalogue.schema_keyword_kinds import KEYWORD_KINDS
from accord.compat.catalogue.schema_structure_kinds import STRUCTURE_KINDS
from accord.compat.catalogue.schema_value_kinds import VALUE_KINDS, SchemaKind
from accord.compat.types import Level, Rule, Side

__all__ = ["CONTEXTS", "KINDS", "MESSAGES", "SchemaKind", "schema_rule_id", "schema_rules"]

#: Where a schema is read: context id → (side, words for the description).
CONTEXTS: dict[str, tuple[Side, str]] = {
    "request-parameter": (Side.REQUEST, "a request parameter's schema"),
    "request-body": (Side.REQUEST, "the request body's schema"),
    "response-body": (Side.RESPONSE, "the response body's schema"),
    "response-header": (Side.RESPONSE, "a response header's schema"),
    # callbacks and webhooks: the API sends the request, consumers answer it
    "callback-parameter": (Side.RESPONSE, "a parameter of a callback or webhook request"),
    "callback-request-body": (Side.RESPONSE, "a callback or webhook request's body"),
    "callback-response-body": (Side.REQUEST, "the body consumers answer a callback with"),
}


#: What kind of message a context's schema belongs to, where it is not its reader's side:
#: a callback's request is a request (``readOnly`` properties are left out of it) read by
#: the consumer, its answer a response read by the API.
MESSAGES: dict[str, Side] = {
    "callback-parameter": Side.REQUEST,
    "callback-request-body": Side.REQUEST,
    "callback-response-body": Side.RESPONSE,
}

B, W, N = Level.BREAKING, Level.WARNING, Level.INFO

#: ``readOnly``/``writeOnly`` say whether a property is in requests or responses, so in a
#: callback (whose message and reader are on opposite sides) they are judged apart.
_FLAGS_FLIPPED: dict[str, Level] = {
    "property-became-read-only": B,  # the API no longer sends it: its readers lose it
    "property-became-writable": N,
    "property-became-write-only": N,  # still sent, requests carry writeOnly properties
    "property-became-readable": N,
}

KINDS: tuple[SchemaKind, ...] = (*VALUE_KINDS, *STRUCTURE_KINDS, *KEYWORD_KINDS)

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
            if context in MESSAGES and k.kind in _FLAGS_FLIPPED:
                level = _FLAGS_FLIPPED[k.kind] if side is Side.RESPONSE else N
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
