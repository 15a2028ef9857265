"""Judging regenerated documents against published ones: fail, warn or pass."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from accord import compat

ROOT = Path(__file__).resolve().parents[3]
ORDERS = json.loads((ROOT / "contracts" / "orders.v1.openapi.json").read_text())
# The cases below bump from 1.0.0, whatever minor version the committed file has reached.
ORDERS["info"]["version"] = "1.0.0"
NAME = "orders.v1.openapi.json"


def encoded(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()


def changed(version: str, *, breaking: bool = False, additive: bool = False) -> dict[str, Any]:
    doc = copy.deepcopy(ORDERS)
    doc["info"]["version"] = version
    order = doc["components"]["schemas"]["Order"]
    if breaking:
        del order["properties"]["currency"]
    if additive:
        order["properties"]["gift"] = {"type": "boolean"}
    return doc


def verdict(revision: dict[str, Any]) -> compat.Verdict:
    (v,) = compat.check_documents(
        {NAME: encoded(ORDERS)}, {NAME: encoded(revision)}, base_label="contracts"
    )
    return v


def test_unchanged_passes_quietly() -> None:
    v = verdict(ORDERS)
    assert (v.failed, v.changes, v.warnings) == (False, [], [])


def test_a_breaking_change_fails_even_with_a_new_version() -> None:
    v = verdict(changed("2.0.0", breaking=True))
    assert v.failed
    assert "orders.v2.openapi.json" in v.failures[0]
    assert {c.id for c in v.changes} == {"response-body-required-property-removed"}


def test_an_additive_change_without_a_minor_bump_warns() -> None:
    v = verdict(changed("1.0.1", additive=True))
    assert not v.failed
    assert v.warnings == [
        "3 change(s) but the minor version was not bumped (still 1.0.1); bump it to 1.1.0"
    ]


def test_an_additive_change_with_a_minor_bump_passes() -> None:
    v = verdict(changed("1.1.0", additive=True))
    assert (v.failed, v.warnings) == (False, [])
    assert {c.id for c in v.changes} == {"response-body-property-added"}


def test_a_version_that_goes_back_warns() -> None:
    doc = copy.deepcopy(ORDERS)
    doc["info"]["version"] = "0.9.0"
    base = copy.deepcopy(ORDERS)
    base["info"]["version"] = "1.2.0"
    (v,) = compat.check_documents({NAME: encoded(base)}, {NAME: encoded(doc)}, base_label="x")
    assert v.warnings == ["info.version went back from 1.2.0 to 0.9.0"]


def test_new_and_retired_documents() -> None:
    v2 = changed("2.0.0")
    verdicts = compat.check_documents(
        {NAME: encoded(ORDERS)}, {"orders.v2.openapi.json": encoded(v2)}, base_label="main"
    )
    assert [(v.file, v.failed, v.notes) for v in verdicts] == [
        ("orders.v1.openapi.json", False, ["retired; superseded by orders.v2.openapi.json"]),
        ("orders.v2.openapi.json", False, ["new document (not in main)"]),
    ]


def test_a_document_gone_without_a_new_major_fails() -> None:
    (v,) = compat.check_documents({NAME: encoded(ORDERS)}, {}, base_label="main")
    assert v.failed and "gone from the code" in v.failures[0]
