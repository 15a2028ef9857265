"""Every error accord defines sits under ``AccordError``, and the tree drawn at the top
of ``accord.errors`` (and, the same, in ``docs/architecture.md``) names each of them."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import accord
import accord.errors
from accord.errors import AccordError

ROOT = Path(__file__).resolve().parents[2]


def accord_exceptions() -> dict[str, type[BaseException]]:
    """Every exception class defined in a module of accord, by ``module.Name``."""
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(accord.__path__, "accord."):
        if info.name.endswith(("__main__", "alembic_env")):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__ == module.__name__
            ):
                found[f"{module.__name__}.{name}"] = obj
    return found


def drawn_tree() -> str:
    """The tree at the top of ``accord.errors``, dedented."""
    doc = accord.errors.__doc__ or ""
    start = doc.index("    AccordError\n")
    block = doc[start : doc.index("\n\n", start)]
    return "\n".join(line[4:] for line in block.splitlines())


def test_every_error_of_accord_is_an_accord_error() -> None:
    outside = sorted(
        n for n, cls in accord_exceptions().items() if not issubclass(cls, AccordError)
    )
    assert outside == []


def test_the_tree_names_every_error() -> None:
    names = set(re.findall(r"\b[A-Z][A-Za-z]+\b", drawn_tree()))
    missing = sorted(n for n, cls in accord_exceptions().items() if cls.__name__ not in names)
    assert missing == []


def test_the_architecture_page_draws_the_same_tree() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert f"```\n{drawn_tree()}\n```" in page
