"""The typed surface of clients, checked by mypy itself.

``samples/`` holds small programs that use a client; mypy checks them together once
and each test reads what it reported about one of them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = Path(__file__).resolve().parent / "samples"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """mypy's lines for each sample file, keyed by the file's name."""
    files = sorted(SAMPLES.glob("*.py"))
    saved = os.environ.get("MYPYPATH")
    os.environ["MYPYPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    try:
        stdout, stderr, _ = api.run(
            [
                "--strict",
                "--no-error-summary",
                "--show-absolute-path",
                "--cache-dir",
                str(tmp_path_factory.mktemp("mypy-cache")),
                *map(str, files),
            ]
        )
    finally:
        if saved is None:
            del os.environ["MYPYPATH"]
        else:
            os.environ["MYPYPATH"] = saved
    assert not stderr, stderr
    lines: dict[str, list[str]] = {f.name: [] for f in files}
    for line in stdout.splitlines():
        path, _, rest = line.partition(":")
        name = Path(path).name
        if Path(path).parent == SAMPLES:
            lines[name].append(rest)
        else:
            raise AssertionError(f"mypy reported outside the samples: {line}")
    return lines


def errors(lines: list[str]) -> list[str]:
    return [line for line in lines if " error: " in line]


def test_correct_use_type_checks(report: dict[str, list[str]]) -> None:
    assert errors(report["client_ok.py"]) == []


def test_reveal_type_shows_the_client_and_the_response_types(
    report: dict[str, list[str]],
) -> None:
    revealed = [
        m.group(1)
        for line in report["client_ok.py"]
        if (m := re.search(r'Revealed type is "(.*)"', line))
    ]
    assert revealed == [
        "shop.inventory.contract.Inventory",
        "accord.contract.binding.BoundOperation[shop.inventory.contract.ReserveStock, "
        "shop.inventory.contract.Reservation]",
        "shop.inventory.contract.Reservation",
        "shop.inventory.contract.Stock",
    ]


def test_a_request_of_the_wrong_type_is_an_error(report: dict[str, list[str]]) -> None:
    (error,) = errors(report["client_wrong_request.py"])
    assert 'incompatible type "SkuRef"; expected "ReserveStock"' in error
    assert "[arg-type]" in error


def test_the_response_has_the_operations_type(report: dict[str, list[str]]) -> None:
    (error,) = errors(report["client_wrong_response.py"])
    assert 'got "Reservation", expected "Stock"' in error
    assert "[return-value]" in error
