"""No function in ``src/`` is longer than 80 lines (its ``def`` line to its last line).

The exceptions are listed by name so that each can be removed when its function is split;
one that is no longer long (or no longer there) fails the test too, so the list shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 80

#: Functions allowed over the limit for now, each with what is under way (none today).
EXCEPTIONS: set[str] = set()


def long_functions(root: Path, limit: int = LIMIT) -> dict[str, int]:
    """``path::Qualified.name`` → length, for every function over ``limit`` lines."""
    found: dict[str, int] = {}
    for path in sorted((root / "src").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))

        def visit(node: ast.AST, prefix: str, rel: str = rel) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    name = prefix + child.name
                    length = (child.end_lineno or child.lineno) - child.lineno + 1
                    if length > limit:
                        found[f"{rel}::{name}"] = length
                    visit(child, name + ".")
                elif isinstance(child, ast.ClassDef):
                    visit(child, prefix + child.name + ".")
                else:
                    visit(child, prefix)

        visit(tree, "")
    return found


def test_no_function_is_longer_than_the_limit() -> None:
    over = {name: n for name, n in long_functions(ROOT).items() if name not in EXCEPTIONS}
    assert over == {}, "split these: " + ", ".join(f"{k} ({v} lines)" for k, v in over.items())


def test_every_exception_is_still_needed() -> None:
    assert sorted(EXCEPTIONS - long_functions(ROOT).keys()) == []


def test_the_walk_finds_a_long_method_in_a_class(tmp_path: Path) -> None:
    body = "\n".join(f"        x{i} = {i}" for i in range(80))
    module = tmp_path / "src" / "pkg" / "mod.py"
    module.parent.mkdir(parents=True)
    short = "def short() -> None:\n    pass\n"
    module.write_text(f"class A:\n    def long(self) -> None:\n{body}\n\n\n{short}")
    assert long_functions(tmp_path) == {"src/pkg/mod.py::A.long": 81}
