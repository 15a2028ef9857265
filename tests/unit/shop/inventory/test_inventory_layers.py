"""Imports point inward: the domain and the use cases know nothing of the outside."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import shop.inventory

ROOT = Path(shop.inventory.__file__).parent


def imported_modules(folder: Path) -> set[str]:
    found: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
    return found


@pytest.mark.parametrize(
    ("layer", "allowed"),
    [
        # shop.common: what the services share of their own, plain Python; accord.ports:
        # the toolkit's ports, for use cases alone (test_boundaries.py)
        ("domain", ("shop.inventory.domain", "shop.common")),
        (
            "application",
            (
                "shop.inventory.domain",
                "shop.inventory.application",
                "accord.ports",
                "shop.common",
            ),
        ),
    ],
)
def test_inner_layers_import_only_the_stdlib_and_inner_layers(
    layer: str, allowed: tuple[str, ...]
) -> None:
    offenders = {
        module
        for module in imported_modules(ROOT / layer)
        if module.split(".")[0] not in sys.stdlib_module_names
        and module != "__future__"
        and not module.startswith(allowed)
    }
    assert offenders == set()
