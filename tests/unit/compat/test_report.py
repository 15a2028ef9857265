"""The three output formats."""

from __future__ import annotations

import io
import json

from rich.console import Console

from accord import compat
from tests.unit.compat.fixtures.build import encode, with_schema

BEFORE = with_schema(
    "response-body", {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
)
AFTER = with_schema(
    "response-body",
    {"type": "object", "properties": {"a": {"type": "string", "enum": ["x|y"]}, "b": {}}},
)


def changes() -> list[compat.Change]:
    return compat.diff(
        compat.parse(encode(BEFORE), source="a"), compat.parse(encode(AFTER), source="b")
    )


def test_json_is_a_list_of_exactly_these_fields_in_a_stable_order() -> None:
    data = json.loads(compat.to_json(changes()))
    where = {"operation": "POST /things", "location": "response 200 application/json"}
    assert data == [
        {
            "id": "response-body-enum-added",
            "level": "info",
            **where,
            "path": "$.a",
            "message": 'values restricted to "x|y"',
        },
        {
            "id": "response-body-property-became-optional",
            "level": "breaking",
            **where,
            "path": "$.a",
            "message": "'a' became optional",
        },
        {
            "id": "response-body-property-added",
            "level": "info",
            **where,
            "path": "$.b",
            "message": "property 'b' added",
        },
    ]
    assert [list(c) for c in data] == [
        ["id", "level", "operation", "path", "location", "message"]
    ] * 3
    assert [c["path"] for c in data] == ["$.a", "$.a", "$.b"]


def test_markdown_has_a_summary_and_a_table_per_operation() -> None:
    text = compat.to_markdown(changes(), title="a → b")
    assert text.startswith("### a → b\n\n**1 breaking, 0 warning, 2 info**\n")
    assert "#### `POST /things`" in text
    assert (
        "| breaking | `response-body-property-became-optional` "
        "| response 200 application/json `$.a` | 'a' became optional |" in text
    )
    assert '"x\\|y"' in text  # a pipe in a message does not break the table


def test_text_is_grouped_by_operation_without_colour_off_a_terminal() -> None:
    out = io.StringIO()
    compat.write_text(changes(), Console(file=out, width=200))
    lines = out.getvalue().splitlines()
    assert lines[0] == "POST /things"
    assert lines[1].split()[:2] == ["info", "response-body-enum-added"]
    assert lines[-1] == "1 breaking, 0 warning, 2 info"
    assert "\x1b[" not in out.getvalue()


def test_text_is_coloured_on_a_terminal() -> None:
    out = io.StringIO()
    compat.write_text(changes(), Console(file=out, width=200, force_terminal=True))
    assert "\x1b[1;31mbreaking" in out.getvalue()


def test_no_changes() -> None:
    out = io.StringIO()
    compat.write_text([], Console(file=out))
    assert out.getvalue() == "no changes\n"
    assert compat.to_json([]) == "[]\n"
    assert "No changes." in compat.to_markdown([])


def test_threshold() -> None:
    found = changes()
    assert [c.id for c in compat.at_or_above(found, compat.Level.BREAKING)] == [
        "response-body-property-became-optional"
    ]
    assert len(compat.at_or_above(found, compat.Level.INFO)) == 3
