"""The settings' JSON Schema, and the changes that break files written for it."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import jsonschema
import msgspec
import pytest

from accord.config import section, setting
from accord.config.schema import DIALECT, breaking, check, document, filename, render
from tests.unit.config.sample import Limits, Settings


def test_the_document_is_json_schema_2020_12_with_the_flags() -> None:
    doc = document("sample", Settings)
    jsonschema.Draft202012Validator.check_schema(doc)
    assert doc["$schema"] == DIALECT and doc["x-schema-version"] == "1.2.0"
    assert filename("sample", Settings) == "sample.v1.json" == doc["$id"]
    props = doc["properties"]
    assert props["max_in_flight"]["x-reloadable"] is True
    assert props["max_in_flight"]["x-env"] == ["SAMPLE_MAX_IN_FLIGHT", "ACCORD_MAX_IN_FLIGHT"]
    assert props["database_url"]["x-pinned"] is True
    assert props["api_key"]["x-secret"] is True
    validator = jsonschema.Draft202012Validator(doc)
    assert validator.is_valid({"max_in_flight": 5, "limits": {"burst": 3}})
    assert not validator.is_valid({"max_in_flight": 0})
    assert not validator.is_valid({"api_key": "sk_live_literal"})
    assert validator.is_valid({"api_key": "env:PARTNER_KEY"})
    assert not validator.is_valid({"speed": 1})
    assert render("sample", Settings).endswith(b"}\n")


def variant(**fields: Any) -> dict[str, Any]:
    """The sample's schema with fields replaced (``None`` removes one)."""
    namespace: dict[str, Any] = {"__annotations__": {}, "schema_version": "1.3.0"}
    namespace["__annotations__"]["schema_version"] = ClassVar[str]
    for name, (hint, default) in {**_SAMPLE, **fields}.items():
        if hint is None:
            continue
        namespace["__annotations__"][name] = hint
        if default is not msgspec.NODEFAULT:
            namespace[name] = default
    cls = type("Settings", (msgspec.Struct,), namespace, kw_only=True, forbid_unknown_fields=True)
    return document("sample", cls)


Lower = Annotated[str, msgspec.Meta(pattern="^[a-z]+$")]

_SAMPLE: dict[str, tuple[Any, Any]] = {
    "max_in_flight": (Annotated[int, setting("n", reloadable=True, ge=1, le=1000)], 512),
    "ratio": (Annotated[float, setting("r", ge=0.0, le=1.0)], 0.5),
    "mode": (Annotated[Literal["a", "b"], setting("m")], "a"),
    "name": (Annotated[str | None, setting("x")], None),
    "limits": (Annotated[Limits, section("l")], msgspec.field(default_factory=Limits)),
}


def test_the_same_schema_breaks_nothing_and_additions_with_defaults_are_fine() -> None:
    assert breaking(variant(), variant()) == []
    more = variant(extra=(Annotated[int, setting("e")], 1))
    wider = variant(
        max_in_flight=(Annotated[int, setting("n", ge=0, le=5000)], 512),
        ratio=(Annotated[float, setting("r", ge=0.0, le=2.0)], 0.5),
        mode=(Annotated[Literal["a", "b", "c"], setting("m")], "a"),
    )
    assert breaking(variant(), more) == []
    assert breaking(variant(), wider) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"ratio": (None, None)}, "ratio: removed"),
        ({"ratio": (Annotated[int, setting("r")], 0)}, "ratio: type narrowed: number"),
        ({"name": (Annotated[str, setting("x")], "")}, "name: type narrowed: null"),
        (
            {"max_in_flight": (Annotated[int, setting("n", ge=2, le=1000)], 512)},
            "max_in_flight: minimum narrowed to 2 (was 1)",
        ),
        (
            {"ratio": (Annotated[float, setting("r", ge=0.0, le=0.9)], 0.5)},
            "ratio: maximum narrowed to 0.9 (was 1.0)",
        ),
        (
            {"mode": (Annotated[Literal["a"], setting("m")], "a")},
            "mode: values no longer accepted: ['b']",
        ),
        (
            {"name": (Annotated[Lower | None, setting("x")], None)},
            "name: pattern narrowed",
        ),
        (
            {"token": (Annotated[str, setting("t")], msgspec.NODEFAULT)},
            "token: new required field without a default",
        ),
    ],
)
def test_each_breaking_change_is_found(change: dict[str, Any], expected: str) -> None:
    found = [str(b) for b in breaking(variant(), variant(**change))]
    assert any(line.startswith(expected) for line in found), found


def test_a_nested_section_is_compared_too() -> None:
    class Narrower(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
        burst: Annotated[int, setting("b", ge=5, le=100)] = 10

    narrowed = variant(
        limits=(Annotated[Narrower, section("l")], msgspec.field(default_factory=Narrower))
    )
    assert [str(b) for b in breaking(variant(), narrowed)] == [
        "limits.burst: minimum narrowed to 5 (was 1)"
    ]


def test_check_compares_files_of_the_same_name_only() -> None:
    old = render("sample", Settings)
    new_major = {"sample.v2.json": b"{}"}
    assert check({"sample.v1.json": old}, new_major) == []
    assert check({"sample.v1.json": old}, {"sample.v1.json": old}) == []
    assert check({"sample.v1.json": b"{"}, {"sample.v1.json": old})[0].startswith(
        "sample.v1.json: the committed schema is not JSON"
    )
