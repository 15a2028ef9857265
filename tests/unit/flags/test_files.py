"""Flag files: flagd's schema checked offline, edits that refuse to write bad documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from accord.flags import FlagFileError, read_flags, write_flags
from accord.flags.edit import rollout, set_variant
from accord.flags.files import config_dir, current_env, environments, flags_file
from accord.flags.schema import schema_problems
from tests.support.processes import ROOT


def boolean(default: str = "off") -> dict[str, Any]:
    return {"state": "ENABLED", "variants": {"on": True, "off": False}, "defaultVariant": default}


def document(**flags: dict[str, Any]) -> dict[str, Any]:
    return {"flags": flags}


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_the_shop_files_are_valid(env: str) -> None:
    assert read_flags(ROOT / "config" / env / "flags.json")["flags"]


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"flags": {"a": {**boolean(), "state": "ON"}}}, "$.flags.a.state: 'ON' is not one of"),
        ({"flags": {"a": {**boolean(), "variants": {}}}}, "$.flags.a.variants"),
        ({"flags": {"a": boolean("maybe")}}, "$.flags.a.defaultVariant: 'maybe' is not one"),
        ({"flags": []}, "$.flags: [] is not of type 'object'"),
        ([1], "$: [1] is not of type 'object'"),
    ],
)
def test_schema_problems_point_at_the_key(doc: object, expected: str) -> None:
    problems = schema_problems(doc)
    assert problems
    assert problems[0].startswith(expected), problems


def test_a_fractional_split_is_valid() -> None:
    doc = rollout(document(a=boolean()), "a", 25)
    assert schema_problems(doc) == []
    assert doc["flags"]["a"]["targeting"] == {"fractional": [["on", 25], ["off", 75]]}


def test_set_drops_targeting_and_enables() -> None:
    doc = rollout(document(a={**boolean(), "state": "DISABLED"}), "a", 25)
    changed = set_variant(doc, "a", "on")
    assert changed["flags"]["a"] == {**boolean("on")}
    assert doc["flags"]["a"]["targeting"], "the input is left alone"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: set_variant(d, "nope", "on"), "no flag 'nope'"),
        (lambda d: set_variant(d, "a", "maybe"), "no variant 'maybe'"),
        (lambda d: rollout(d, "a", 101), "from 0 to 100"),
        (lambda d: rollout(d, "s", 10), "not a boolean flag"),
    ],
)
def test_bad_edits_say_why(edit: Any, message: str) -> None:
    strings = {"state": "ENABLED", "variants": {"x": "1", "y": "2"}, "defaultVariant": "x"}
    with pytest.raises(FlagFileError, match=message):
        edit(document(a=boolean(), s=strings))


def test_rolling_out_the_default_variant_moves_the_default() -> None:
    doc = rollout(document(a=boolean("on")), "a", 10)
    assert doc["flags"]["a"]["defaultVariant"] == "off"
    assert doc["flags"]["a"]["targeting"] == {"fractional": [["on", 10], ["off", 90]]}


def test_write_refuses_an_invalid_document_and_leaves_the_file(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    write_flags(path, document(a=boolean()))
    before = path.read_bytes()
    with pytest.raises(FlagFileError, match="refused"):
        write_flags(path, document(a={**boolean(), "state": "MAYBE"}))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["flags.json"], "no temporary left"


@pytest.mark.parametrize(
    ("text", "message"),
    [("{ broken", "not JSON"), ('{"flags": {"a": {"state": "ON"}}}', "$.flags.a")],
)
def test_read_refuses_bad_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "flags.json"
    path.write_text(text)
    with pytest.raises(FlagFileError, match=message.replace("$", r"\$")):
        read_flags(path)


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(FlagFileError, match="no such file"):
        read_flags(tmp_path / "flags.json")


def test_environments_and_paths(tmp_path: Path) -> None:
    for env in ("dev", "prod"):
        (tmp_path / env).mkdir()
        (tmp_path / env / "flags.json").write_text(json.dumps(document()))
    (tmp_path / "base").mkdir()
    assert environments(tmp_path) == ["dev", "prod"]
    assert flags_file(tmp_path, "prod") == tmp_path / "prod" / "flags.json"
    with pytest.raises(FlagFileError, match=r"unknown environment 'qa' .* \(known: dev, prod\)"):
        flags_file(tmp_path, "qa")


def test_environment_variables_choose_the_folder(tmp_path: Path) -> None:
    assert current_env({}) == "dev"
    assert current_env({"ACCORD_ENV": "prod"}) == "prod"
    assert config_dir({"ACCORD_CONFIG_DIR": str(tmp_path)}) == tmp_path.resolve()
    assert config_dir({}, root=tmp_path) == tmp_path.resolve() / "config"


def test_a_named_variant_of_a_string_flag_rolls_out() -> None:
    paths = {"state": "ENABLED", "variants": {"old": "v1", "new": "v2"}, "defaultVariant": "old"}
    doc = rollout(document(path=paths), "path", 30, variant="new")
    assert doc["flags"]["path"]["targeting"] == {"fractional": [["new", 30], ["old", 70]]}
    assert schema_problems(doc) == []
