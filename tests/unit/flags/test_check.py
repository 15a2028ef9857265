"""``check_flags``: declarations held against every environment's file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from accord.flags import Flag, check_flags

TODAY = date(2027, 1, 1)
JUNE = date(2027, 6, 1)
PAUSE = Flag.boolean("pause", default=False, description="d", owner="team", expires=JUNE)
LIMIT = Flag.integer("limit", default=5, description="d", owner="team", expires=JUNE)


def write(folder: Path, env: str, **flags: dict[str, Any]) -> None:
    (folder / env).mkdir(parents=True, exist_ok=True)
    (folder / env / "flags.json").write_text(json.dumps({"flags": flags}))


def boolean() -> dict[str, Any]:
    return {"state": "ENABLED", "variants": {"on": True, "off": False}, "defaultVariant": "off"}


def numbers(**variants: object) -> dict[str, Any]:
    return {"state": "ENABLED", "variants": variants, "defaultVariant": next(iter(variants))}


def lines(flags: list[Flag[Any]], folder: Path, today: date = TODAY) -> list[str]:
    return [str(f) for f in check_flags(flags, folder, today=today)]


def test_a_clean_project_has_no_findings(tmp_path: Path) -> None:
    for env in ("dev", "prod"):
        write(tmp_path, env, pause=boolean(), limit=numbers(low=5, high=50))
    assert lines([PAUSE, LIMIT], tmp_path) == []


def test_a_missing_flag_is_an_error_naming_the_file(tmp_path: Path) -> None:
    write(tmp_path, "dev", pause=boolean(), limit=numbers(low=5))
    write(tmp_path, "prod", pause=boolean())
    assert lines([PAUSE, LIMIT], tmp_path) == [
        f"{tmp_path}/prod/flags.json: error: declared flag 'limit' is missing"
    ]


def test_another_type_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "dev", pause=boolean(), limit=numbers(low="5", high="50"))
    assert lines([PAUSE, LIMIT], tmp_path) == [
        f"{tmp_path}/dev/flags.json: error: flag 'limit' is declared integer but "
        "variant(s) low, high are not"
    ]


def test_an_expired_declaration_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "dev", pause=boolean())
    found = lines([PAUSE], tmp_path, today=date(2027, 6, 2))
    assert found == [
        "pause: error: expired on 2027-06-01 and still declared (owner: team): "
        "remove it from the code and the files"
    ]


def test_an_undeclared_flag_is_only_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "dev", pause=boolean(), old=boolean())
    findings = check_flags([PAUSE], tmp_path, today=TODAY)
    assert [(f.severity, f.message) for f in findings] == [
        ("warning", "flag 'old' is declared by no code")
    ]


def test_an_invalid_file_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "dev", pause={**boolean(), "state": "ON"})
    assert lines([PAUSE], tmp_path) == [
        f"{tmp_path}/dev/flags.json: error: $.flags.pause.state: 'ON' is not one of "
        "['ENABLED', 'DISABLED']"
    ]


def test_no_environment_at_all_is_an_error(tmp_path: Path) -> None:
    assert lines([PAUSE], tmp_path) == [f"{tmp_path}: error: no environment has a flags.json"]
