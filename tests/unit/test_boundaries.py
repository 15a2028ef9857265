"""Imports point inward, and services meet only through contracts.

Checked by reading the source (``ast``), not by importing it:

- ``shop/<svc>/domain/``: the standard library and ``shop.<svc>.domain`` only;
- ``shop/<svc>/application/``: the standard library, ``shop.<svc>.domain`` and
  ``shop.<svc>.application`` only;
- anywhere in ``shop/<svc>/``: nothing of another service but its ``contract``, and that
  only from ``shop/<svc>/adapters/``;
- ``accord.contract`` and ``accord.errors``: no import of ``accord.runtime``,
  ``accord.client`` or ``sqlalchemy`` when they are imported.

Every import counts, including those in functions and under ``TYPE_CHECKING``, except
for the last rule, which is about what importing those two modules costs.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STDLIB = frozenset(sys.stdlib_module_names)


@dataclass(frozen=True)
class Import:
    """One imported name, absolute, where it is imported and whether at import time."""

    target: str
    line: int
    source: str
    at_import_time: bool


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join([*base, *([node.module] if node.module else [])])


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path, root: Path) -> list[Import]:
    """Every import in ``path``: ``import a.b`` gives ``a.b``; ``from a import b`` gives
    ``a`` and ``a.b`` (``b`` may be a module)."""
    module = module_name(path, root)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []

    def visit(node: ast.AST, at_import_time: bool) -> None:
        for child in ast.iter_child_nodes(node):
            live = at_import_time
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                live = False
            source = (
                ast.get_source_segment(text, child)
                if isinstance(child, ast.Import | ast.ImportFrom)
                else None
            )
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append(Import(alias.name, child.lineno, source or "", live))
            elif isinstance(child, ast.ImportFrom):
                base = _resolve(child, module, is_package)
                found.append(Import(base, child.lineno, source or "", live))
                for alias in child.names:
                    if alias.name != "*":
                        found.append(
                            Import(f"{base}.{alias.name}", child.lineno, source or "", live)
                        )
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    visit_one(stmt, False)
                for stmt in child.orelse:
                    visit_one(stmt, live)
                continue
            visit(child, live)

    def visit_one(stmt: ast.stmt, live: bool) -> None:
        wrapper = ast.Module(body=[stmt], type_ignores=[])
        visit(wrapper, live)

    text = path.read_text(encoding="utf-8")
    visit(tree, True)
    return found


def _under(target: str, prefix: str) -> bool:
    return target == prefix or target.startswith(prefix + ".")


def _is_stdlib(target: str) -> bool:
    return target.split(".", 1)[0] in STDLIB


def shop_violations(path: Path, root: Path) -> list[str]:
    """What is wrong with the imports of one module of ``<root>/shop/<svc>/``."""
    rel = path.relative_to(root)
    parts = rel.parts
    if len(parts) < 3 or parts[0] != "shop":
        return []
    service = parts[1]
    layer = parts[2] if len(parts) > 3 else None
    own = f"shop.{service}"
    allowed_layers = {"domain": ("domain",), "application": ("domain", "application")}
    problems: list[str] = []
    seen: set[tuple[int, str]] = set()

    def report(imp: Import, rule: str, why: str) -> None:
        # One message per line and rule: ``from a import b`` yields ``a`` and ``a.b``.
        if (imp.line, rule) not in seen:
            seen.add((imp.line, rule))
            problems.append(f"{rel}:{imp.line}: `{imp.source}` {why}")

    for imp in imports_of(path, root):
        target = imp.target
        if layer in allowed_layers and not _is_stdlib(target):
            inside = [f"{own}.{name}" for name in allowed_layers[layer]]
            if not any(_under(target, prefix) for prefix in inside):
                report(
                    imp,
                    "layer",
                    f"imports {target}: {layer} may import only the standard library "
                    f"and {', '.join(inside)}",
                )
        if _under(target, "shop") and not _under(target, own) and target.count(".") >= 1:
            other = target.split(".")[1]
            if not _under(target, f"shop.{other}.contract"):
                report(
                    imp,
                    "service",
                    f"imports {target}: another service's insides (only its contract)",
                )
            elif layer != "adapters":
                report(
                    imp,
                    "service",
                    f"imports {target}: another service's contract, outside adapters/",
                )
    return problems


def module_level_imports(path: Path, root: Path) -> list[Import]:
    """The imports that run when ``path`` is imported."""
    return [imp for imp in imports_of(path, root) if imp.at_import_time]


def shop_modules(root: Path) -> list[Path]:
    return sorted(p for p in (root / "shop").rglob("*.py") if "migrations" not in p.parts)


# -- the rules, on the real tree -------------------------------------------------------


@pytest.mark.parametrize("path", shop_modules(ROOT), ids=lambda p: str(p.relative_to(ROOT)))
def test_shop_imports_point_inward(path: Path) -> None:
    problems = shop_violations(path, ROOT)
    assert not problems, "\n".join(problems)


def test_every_service_has_its_layers_checked() -> None:
    services = {p.parent.parent.name for p in (ROOT / "shop").glob("*/domain/__init__.py")}
    assert {"inventory", "orders", "payments"} <= services


@pytest.mark.parametrize("name", ["contract", "errors"])
def test_contracts_and_errors_do_not_import_the_machinery(name: str) -> None:
    path = ROOT / "src" / "accord" / f"{name}.py"
    bad = [
        f"src/accord/{name}.py:{imp.line}: `{imp.source}`"
        for imp in module_level_imports(path, ROOT)
        if any(_under(imp.target, p) for p in ("accord.runtime", "accord.client", "sqlalchemy"))
    ]
    assert not bad, "\n".join(bad)


def test_importing_contracts_loads_no_runtime_client_or_sqlalchemy() -> None:
    code = (
        "import sys, accord.contract, accord.errors; "
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy' "
        "or m.startswith(('accord.runtime', 'accord.client'))))) "
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == ""


# -- the checker itself ----------------------------------------------------------------


def write(root: Path, rel: str, body: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_the_checker_catches_bad_imports_and_names_file_line_and_import(tmp_path: Path) -> None:
    bad = write(
        tmp_path,
        "shop/fake/domain/model.py",
        """\
        from __future__ import annotations

        import dataclasses
        from typing import TYPE_CHECKING

        from shop.fake.domain.rules import Rule
        import sqlalchemy as sa

        if TYPE_CHECKING:
            from shop.fake.adapters.sql import Table


        def later() -> None:
            from ..application import services
        """,
    )
    problems = shop_violations(bad, tmp_path)
    assert len(problems) == 3, problems
    assert problems[0].startswith("shop/fake/domain/model.py:7: `import sqlalchemy as sa`")
    assert "shop/fake/domain/model.py:10: `from shop.fake.adapters.sql import Table`" in problems[1]
    assert problems[2].startswith(
        "shop/fake/domain/model.py:14: `from ..application import services` imports "
        "shop.fake.application"
    )


def test_the_checker_catches_reaching_into_another_service(tmp_path: Path) -> None:
    app = write(
        tmp_path,
        "shop/fake/application/services.py",
        """\
        from shop.fake.domain.model import Thing
        from shop.other.domain.model import Other
        """,
    )
    entry = write(
        tmp_path,
        "shop/fake/entrypoint.py",
        """\
        from shop.fake import contract
        from shop.other.contract import OtherClient
        from shop import other
        """,
    )
    adapter = write(
        tmp_path,
        "shop/fake/adapters/other.py",
        "from shop.other.contract import OtherClient\nimport shop.other.adapters.sql\n",
    )
    assert [p.split(" ", 1)[0] for p in shop_violations(app, tmp_path)] == [
        "shop/fake/application/services.py:2:",
        "shop/fake/application/services.py:2:",
    ]
    entry_problems = shop_violations(entry, tmp_path)
    assert any("entrypoint.py:2:" in p and "outside adapters/" in p for p in entry_problems)
    assert any("entrypoint.py:3:" in p and "shop.other" in p for p in entry_problems)
    assert shop_violations(adapter, tmp_path) == [
        "shop/fake/adapters/other.py:2: `import shop.other.adapters.sql` imports "
        "shop.other.adapters.sql: another service's insides (only its contract)"
    ]


def test_the_checker_accepts_a_clean_module(tmp_path: Path) -> None:
    clean = write(
        tmp_path,
        "shop/fake/application/services.py",
        """\
        import asyncio
        from collections.abc import Sequence

        from shop.fake.application.ports import UnitOfWork
        from shop.fake.domain import model
        from . import ports
        """,
    )
    assert shop_violations(clean, tmp_path) == []
