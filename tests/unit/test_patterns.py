"""Contract patterns match the whole string, as the exported JSON Schema says."""

from __future__ import annotations

from typing import Annotated

import msgspec
import pytest

from accord import Contract, operation
from accord._patterns import end_anchored, pattern_check
from accord.errors import ValidationFailed

Code = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]


class Line(msgspec.Struct):
    sku: Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9-]+$")]


class Tree(msgspec.Struct):
    name: Code
    children: list[Tree] = []


class Order(msgspec.Struct):
    currency: Code
    lines: list[Line] = []
    tags: dict[Code, Code] = {}
    pair: tuple[Code, int] | None = None
    note: str = ""
    tree: Tree | None = None


class Plain(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(pattern="^[a-z]+")]
    count: int = 0


class Shop(Contract, name="shop", version="1.0.0"):
    place = operation(Order, Order, method="POST")


@pytest.mark.parametrize(
    ("pattern", "strict"),
    [
        (r"^[A-Z]{3}$", r"^[A-Z]{3}\Z"),
        (r"^a\$b$", r"^a\$b\Z"),
        (r"^[$]x$", r"^[$]x\Z"),
        (r"^[^]$]+$", r"^[^]$]+\Z"),
        (r"^a$|^b$", r"^a\Z|^b\Z"),
        (r"^abc", None),
        (r"^a\$", None),
        (r"(?m)^a$", None),
    ],
)
def test_end_anchors_become_the_end_of_the_string(pattern: str, strict: str | None) -> None:
    compiled = end_anchored(pattern)
    assert (compiled.pattern if compiled is not None else None) == strict


def test_a_type_without_end_anchored_patterns_has_no_check() -> None:
    assert pattern_check(Plain) is None


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"currency": "EUR\n"}, "$.currency"),
        ({"currency": "EUR", "lines": [{"sku": "A"}, {"sku": "B\n"}]}, "$.lines[1].sku"),
        ({"currency": "EUR", "tags": {"ABC": "XYZ\n"}}, "$.tags[...]"),
        ({"currency": "EUR", "pair": ["ABC\n", 1]}, "$.pair[0]"),
        ({"currency": "EUR", "tree": {"name": "ABC", "children": [{"name": "D\n"}]}}, None),
        (
            {"currency": "EUR", "tree": {"name": "ABC", "children": [{"name": "DEF\n"}]}},
            "$.tree.children[0].name",
        ),
    ],
)
def test_a_trailing_newline_is_refused_at_its_path(
    body: dict[str, object], path: str | None
) -> None:
    if path is None:  # msgspec refuses it itself: "D" is no three letters
        with pytest.raises(ValidationFailed):
            Shop.place.decode_request({}, msgspec.json.encode(body))
        return
    with pytest.raises(ValidationFailed) as info:
        Shop.place.decode_request({}, msgspec.json.encode(body))
    assert info.value.info is not None
    assert [e.path for e in info.value.info.errors] == [path]
    assert "matching regex" in info.value.info.errors[0].message


def test_what_python_and_json_schema_agree_on_is_unchanged() -> None:
    body = {
        "currency": "EUR",
        "lines": [{"sku": "SKU-1"}],
        "tags": {"ABC": "XYZ"},
        "pair": ["ABC", 1],
        "note": "free text\n",
    }
    decoded = Shop.place.decode_request({}, msgspec.json.encode(body))
    assert decoded.note == "free text\n"
    assert decoded.lines == [Line("SKU-1")]


def test_a_response_is_checked_the_same_way() -> None:
    with pytest.raises(msgspec.ValidationError, match=r"at `\$\.currency`"):
        Shop.place.decode_response(b'{"currency":"EUR\\n"}')
    assert Shop.place.decode_response(b'{"currency":"EUR"}').currency == "EUR"


def test_the_document_says_what_the_server_checks() -> None:
    from accord import openapi

    doc = openapi.document(Shop)
    schema = doc["components"]["schemas"]["Order"]["properties"]["currency"]
    assert schema["pattern"] == "^[A-Z]{3}$"
