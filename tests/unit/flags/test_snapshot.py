"""The snapshot answers exactly what flagd's evaluator answers, for the flags it takes."""

from __future__ import annotations

from typing import Any

import cbor2
from hypothesis import given, settings
from hypothesis import strategies as st
from openfeature.contrib.tools.flagd.core import FlagdCore
from openfeature.evaluation_context import EvaluationContext

from accord.flags.snapshot import Split, Static, cbor_pair, compile_snapshot

texts = st.text(min_size=1, max_size=300)
weights = st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=5).filter(
    lambda ws: sum(ws) > 0
)


def split_document(key: str, parts: list[Any]) -> dict[str, Any]:
    variants = {f"v{i}": i for i in range(len(parts))}
    return {
        "flags": {
            key: {
                "state": "ENABLED",
                "variants": variants,
                "defaultVariant": "v0",
                "targeting": {"fractional": parts},
            }
        }
    }


@given(texts, texts)
def test_the_cbor_of_a_pair_is_canonical_cbor(first: str, second: str) -> None:
    assert cbor_pair(first, second) == cbor2.dumps([first, second], canonical=True)


@settings(max_examples=300)
@given(texts, texts, weights)
def test_a_split_picks_the_variant_flagd_picks(key: str, customer: str, ws: list[int]) -> None:
    document = split_document(key, [[f"v{i}", w] for i, w in enumerate(ws)])
    entry = compile_snapshot(document)[key]
    assert isinstance(entry, Split)
    core = FlagdCore()
    core.set_flags(document)
    expected = core.resolve_integer_value(key, -1, EvaluationContext(customer))
    index = entry.pick(customer)
    assert index is not None
    assert (entry.variants[index], entry.values[index]) == (expected.variant, expected.value)


def test_a_weightless_part_counts_one() -> None:
    document = split_document("f", [["v0"], ["v1", 3]])
    entry = compile_snapshot(document)["f"]
    assert isinstance(entry, Split)
    assert entry.bounds == (1, 4)


def test_a_flag_without_rules_is_its_default_variant() -> None:
    document = {
        "metadata": {"team": "orders"},
        "flags": {
            "f": {
                "state": "ENABLED",
                "variants": {"on": True, "off": False},
                "defaultVariant": "on",
                "metadata": {"ticket": 7},
            }
        },
    }
    assert compile_snapshot(document) == {"f": Static(True, "on", {"team": "orders", "ticket": 7})}


def test_what_needs_the_evaluator_is_left_to_it() -> None:
    base = {"state": "ENABLED", "variants": {"on": True, "off": False}, "defaultVariant": "off"}
    flags = {
        "disabled": {**base, "state": "DISABLED"},
        "no-default": {**base, "defaultVariant": None},
        "rule": {**base, "targeting": {"if": [{"==": [{"var": "v"}, 1]}, "on", "off"]}},
        "bucketed": {**base, "targeting": {"fractional": [{"var": "email"}, ["on", 1]]}},
        "unknown-variant": {**base, "targeting": {"fractional": [["maybe", 1]]}},
        "float-weight": {**base, "targeting": {"fractional": [["on", 0.5], ["off", 1]]}},
        "no-weight": {**base, "targeting": {"fractional": [["on", 0], ["off", 0]]}},
    }
    assert compile_snapshot({"flags": flags}) == {}
    evaluators = {"$evaluators": {"x": {"in": ["a", "b"]}}, "flags": {"plain": base}}
    assert compile_snapshot(evaluators) == {}, "a $ref may hide anywhere"
