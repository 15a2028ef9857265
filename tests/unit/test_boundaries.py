"""Imports point inward, and services meet only through contracts.

Checked by reading the source (``ast``), not by importing it:

- ``shop/<svc>/domain/``: the standard library, ``shop.<svc>.domain`` and
  :data:`SHOP_COMMON` only (``shop.common`` imports the standard library alone);
- ``shop/<svc>/application/``: the standard library, ``shop.<svc>.domain``,
  ``shop.<svc>.application``, :data:`SHARED_PORTS` and :data:`SHOP_COMMON` only (ports
  every service shares, plain Python: they import the standard library and
  ``accord.errors`` alone);
- anywhere in ``shop/<svc>/``: nothing of another service but its ``contract``, and that
  only from ``shop/<svc>/adapters/``;
- ``accord.contract`` and ``accord.errors``: no import of ``accord.runtime``,
  ``accord.client`` or ``sqlalchemy`` when they are imported;
- ``src/accord``: no import cycle between its modules, and no import that points
  outward, from a rank of :data:`RANKS` to a later one (declarations ← mechanisms ←
  machinery ← assembly ← composition).

Every import counts, including those in functions and under ``TYPE_CHECKING``, with two
exceptions: the rule on ``accord.contract`` and ``accord.errors`` is about what importing
them costs (imports that run when they load), and in ``src/accord`` an import under
``TYPE_CHECKING`` names a type without ever running, so it closes no cycle and may point
outward. An import inside a function runs, later: it counts for both.
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
#: accord's modules an application layer may import: protocols and exceptions in plain
#: Python, no runtime, transport or database behind them.
SHARED_PORTS = ("accord.ports",)
#: What the shop's services share that is the shop's own: plain Python, no service's name.
SHOP_COMMON = "shop.common"


@dataclass(frozen=True)
class Import:
    """One imported name, absolute, where it is imported and whether at import time."""

    target: str
    line: int
    source: str
    at_import_time: bool
    type_only: bool = False


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

    def visit(node: ast.AST, at_import_time: bool, typing: bool = False) -> None:
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
                    found.append(Import(alias.name, child.lineno, source or "", live, typing))
            elif isinstance(child, ast.ImportFrom):
                base = _resolve(child, module, is_package)
                found.append(Import(base, child.lineno, source or "", live, typing))
                for alias in child.names:
                    if alias.name != "*":
                        name = f"{base}.{alias.name}"
                        found.append(Import(name, child.lineno, source or "", live, typing))
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    visit_one(stmt, False, True)
                for stmt in child.orelse:
                    visit_one(stmt, live, typing)
                continue
            visit(child, live, typing)

    def visit_one(stmt: ast.stmt, live: bool, typing: bool) -> None:
        wrapper = ast.Module(body=[stmt], type_ignores=[])
        visit(wrapper, live, typing)

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
    if len(parts) < 3 or parts[0] != "shop" or parts[1] == "common":
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
            if layer == "application":
                inside += SHARED_PORTS
            inside.append(SHOP_COMMON)
            if not any(_under(target, prefix) for prefix in inside):
                report(
                    imp,
                    "layer",
                    f"imports {target}: {layer} may import only the standard library "
                    f"and {', '.join(inside)}",
                )
        shared = _under(target, own) or _under(target, SHOP_COMMON)
        if _under(target, "shop") and not shared and target.count(".") >= 1:
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


# -- accord's own modules: cycles and ranks ---------------------------------------------

#: Ranks of accord's modules, inner to outer; the longest matching prefix wins. An
#: import may point to its own rank or an earlier one.
RANKS: tuple[tuple[str, ...], ...] = (
    # declarations: what a service offers and the errors it speaks
    (
        "accord._structs",
        "accord._patterns",
        "accord._lazy",
        "accord.errors",
        "accord.deprecation",
        "accord.contract",
        "accord.ports",
        "accord.switches",
    ),
    # mechanisms: each one concept, none knows a server or a client
    (
        "accord._connections",
        "accord.lifetime",
        "accord.resilience",
        "accord.observability",
        "accord.security",
        "accord.openapi",
        "accord.compat",
        "accord.slo",
        "accord.advisories",
        "accord.audit",
        "accord.project",
        "accord.release",
    ),
    # machinery: the server, the client, their storage and settings, flags read per request
    ("accord.client", "accord.runtime", "accord.sql", "accord.config", "accord.flags"),
    # assembly: a service's composition root made of the machinery (the service kit)
    ("accord.kit",),
    # composition: the package's front door (``=``: that module alone), the command line
    # and what it drives
    (
        "=accord",
        "accord.__main__",
        "accord.cli",
        "accord.supervisor",
        "accord.processes",
        "accord.runfile",
        "accord.reload",
        "accord.dataplane",
        "accord.rollout",
        "accord.console",  # reads the running system: run file, probes, spans, flags
        "accord.deploy",
        "accord.release.gate",  # the release gate runs every check there is
        "accord.release.gate_config",
        "accord.release.gate_checks",
        "accord.chaos",
    ),
)


def rank_of(module: str, ranks: tuple[tuple[str, ...], ...] = RANKS) -> int | None:
    """The rank of ``module``: the one of its longest matching prefix (``None``: unranked)."""
    best: tuple[int, int] | None = None
    for rank, prefixes in enumerate(ranks):
        for prefix in prefixes:
            exact = prefix.startswith("=")
            name = prefix.removeprefix("=")
            hit = module == name if exact else _under(module, name)
            if hit and (best is None or len(name) > best[1]):
                best = (rank, len(name))
    return None if best is None else best[0]


@dataclass(frozen=True)
class Edge:
    """``source`` imports ``target`` (both modules of the package) by ``imp``."""

    source: str
    target: str
    imp: Import


def package_modules(src: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` under ``src``, by dotted name."""
    return {module_name(p, src): p for p in sorted((src / package).rglob("*.py"))}


def import_edges(src: Path, package: str) -> list[Edge]:
    """Every import between the modules of ``package``, wherever it stands.

    ``from a import b`` is an edge to ``a.b`` when that is a module, else to ``a``;
    ``import a.b.c`` to the longest existing module. A parent package that Python loads
    on the way is not an edge: it is every import's, and says nothing of the design.
    """
    modules = package_modules(src, package)
    edges: list[Edge] = []
    for source, path in modules.items():
        imports = imports_of(path, src)
        submodules = {(i.line, i.target) for i in imports if i.target in modules}
        for imp in imports:
            if not _under(imp.target, package):
                continue
            if any(
                line == imp.line and sub.rpartition(".")[0] == imp.target
                for line, sub in submodules
            ) and not _names_other_than_modules(imports, imp, modules):
                continue
            target = imp.target
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != source:
                edges.append(Edge(source, target, imp))
    return edges


def _names_other_than_modules(imports: list[Import], imp: Import, modules: dict[str, Path]) -> bool:
    """Whether the ``from`` import on ``imp``'s line also takes a name that is no module."""
    return any(
        i.line == imp.line and i.target.rpartition(".")[0] == imp.target and i.target not in modules
        for i in imports
    )


def import_cycles(edges: list[Edge]) -> list[list[str]]:
    """The import cycles through imports that run (``TYPE_CHECKING`` aside): each a list of
    modules ``a → b → … → a`` (Tarjan's strongly connected components)."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        if edge.imp.type_only:
            continue
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(_cycle_through(sorted(component), graph))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return components


def _cycle_through(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """One cycle inside a strongly connected ``component``, from its first module."""
    inside = set(component)
    start = component[0]
    path = [start]
    seen = {start}
    while True:
        options = sorted(graph[path[-1]] & inside)
        if start in options and len(path) > 1:
            return [*path, start]
        fresh = [m for m in options if m not in seen]
        if not fresh:
            return [*path, start]
        path.append(fresh[0])
        seen.add(fresh[0])


def outward_imports(edges: list[Edge], ranks: tuple[tuple[str, ...], ...] = RANKS) -> list[str]:
    """Imports that load a module of a later rank than their own (``TYPE_CHECKING`` aside)."""
    problems: list[str] = []
    for edge in edges:
        if edge.imp.type_only:
            continue
        source, target = rank_of(edge.source, ranks), rank_of(edge.target, ranks)
        if source is None or target is None or target <= source:
            continue
        when = "at import time" if edge.imp.at_import_time else "in a function"
        problems.append(
            f"{edge.source}:{edge.imp.line}: `{edge.imp.source}` {when} reaches "
            f"{edge.target} (rank {target}) from rank {source}"
        )
    return sorted(set(problems))


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
    assert {"identity", "inventory", "orders", "payments"} <= services


@pytest.mark.parametrize("module", SHARED_PORTS)
def test_shared_ports_import_the_standard_library_and_errors_alone(module: str) -> None:
    path = ROOT / "src" / Path(*module.split(".")).with_suffix(".py")
    bad = [
        f"{path.relative_to(ROOT)}:{imp.line}: `{imp.source}`"
        for imp in imports_of(path, ROOT)
        if not _is_stdlib(imp.target) and not _under(imp.target, "accord.errors")
    ]
    assert not bad, "\n".join(bad)


def test_shop_common_imports_the_standard_library_alone() -> None:
    paths = sorted((ROOT / "shop" / "common").rglob("*.py"))
    assert paths
    bad = [
        f"{path.relative_to(ROOT)}:{imp.line}: `{imp.source}`"
        for path in paths
        for imp in imports_of(path, ROOT)
        if not _is_stdlib(imp.target)
    ]
    assert not bad, "\n".join(bad)


def _declaration_modules() -> list[Path]:
    return [
        *sorted((ROOT / "src" / "accord" / "contract").glob("*.py")),
        ROOT / "src" / "accord" / "errors.py",
    ]


@pytest.mark.parametrize(
    "path", _declaration_modules(), ids=lambda p: str(p.relative_to(ROOT / "src"))
)
def test_contracts_and_errors_do_not_import_the_machinery(path: Path) -> None:
    bad = [
        f"{path.relative_to(ROOT)}:{imp.line}: `{imp.source}`"
        for imp in module_level_imports(path, ROOT)
        if any(_under(imp.target, p) for p in ("accord.runtime", "accord.client", "sqlalchemy"))
    ]
    assert not bad, "\n".join(bad)


def test_accord_has_no_import_cycle() -> None:
    cycles = import_cycles(import_edges(ROOT / "src", "accord"))
    assert not cycles, "\n".join(" → ".join(cycle) for cycle in cycles)


def test_every_module_of_accord_has_a_rank() -> None:
    modules = package_modules(ROOT / "src", "accord")
    assert [m for m in modules if rank_of(m) is None] == []


def test_no_import_in_accord_points_outward() -> None:
    problems = outward_imports(import_edges(ROOT / "src", "accord"))
    assert not problems, "\n".join(problems)


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

        from accord.ports import ConcurrencyConflict
        from shop.fake.application.ports import UnitOfWork
        from shop.fake.domain import model
        from . import ports
        """,
    )
    assert shop_violations(clean, tmp_path) == []


def test_only_the_application_may_import_the_shared_ports(tmp_path: Path) -> None:
    domain = write(tmp_path, "shop/fake/domain/model.py", "from accord.ports import UnitOfWork\n")
    application = write(
        tmp_path, "shop/fake/application/services.py", "from accord.sql import UnitOfWork\n"
    )
    assert [p.split(" imports ")[0] for p in shop_violations(domain, tmp_path)] == [
        "shop/fake/domain/model.py:1: `from accord.ports import UnitOfWork`"
    ]
    assert [p.split(" imports ")[0] for p in shop_violations(application, tmp_path)] == [
        "shop/fake/application/services.py:1: `from accord.sql import UnitOfWork`"
    ]


def test_a_domain_may_import_shop_common_and_nothing_else_of_the_shop(tmp_path: Path) -> None:
    domain = write(
        tmp_path,
        "shop/fake/domain/exceptions.py",
        "from shop.common.errors import ValuedError\nfrom shop.fake.application import ports\n",
    )
    assert [p.split(" imports ")[0] for p in shop_violations(domain, tmp_path)] == [
        "shop/fake/domain/exceptions.py:2: `from shop.fake.application import ports`"
    ]


def _tiny_package(root: Path, contract_body: str) -> Path:
    """``src/tiny``: a contract module, a client that imports it, a front door."""
    src = root / "src"
    write(src, "tiny/__init__.py", "from tiny.contract import Contract\n")
    write(src, "tiny/contract.py", contract_body)
    write(
        src,
        "tiny/client.py",
        """\
        from tiny.contract import Contract


        class Core:
            contract = Contract
        """,
    )
    return src


TINY_RANKS = (("tiny.contract",), ("tiny.client",), ("=tiny",))


def test_a_deferred_import_that_closes_a_cycle_is_caught(tmp_path: Path) -> None:
    src = _tiny_package(
        tmp_path,
        """\
        class Contract:
            @classmethod
            def client(cls) -> object:
                from tiny.client import Core

                return Core()
        """,
    )
    edges = import_edges(src, "tiny")
    assert import_cycles(edges) == [["tiny.client", "tiny.contract", "tiny.client"]]
    assert outward_imports(edges, TINY_RANKS) == [
        "tiny.contract:4: `from tiny.client import Core` in a function reaches "
        "tiny.client (rank 1) from rank 0"
    ]


def test_a_type_only_import_closes_no_cycle_and_may_point_outward(tmp_path: Path) -> None:
    src = _tiny_package(
        tmp_path,
        """\
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from tiny.client import Core


        class Contract:
            core: "Core"
        """,
    )
    edges = import_edges(src, "tiny")
    assert ("tiny.contract", "tiny.client") in {(e.source, e.target) for e in edges}
    assert import_cycles(edges) == []
    assert outward_imports(edges, TINY_RANKS) == []


def test_a_package_whose_imports_point_inward_passes(tmp_path: Path) -> None:
    src = _tiny_package(tmp_path, "class Contract:\n    pass\n")
    write(src, "tiny/cli.py", "def main() -> None:\n    from tiny import client\n")
    edges = import_edges(src, "tiny")
    assert {(e.source, e.target) for e in edges} == {
        ("tiny", "tiny.contract"),
        ("tiny.client", "tiny.contract"),
        ("tiny.cli", "tiny.client"),
    }
    assert import_cycles(edges) == []
    assert outward_imports(edges, (*TINY_RANKS, ("tiny.cli",))) == []


def test_a_module_matched_by_no_rank_is_unranked() -> None:
    assert rank_of("tiny.other", TINY_RANKS) is None
    assert rank_of("tiny", TINY_RANKS) == 2
    assert rank_of("tiny.client.http", TINY_RANKS) == 1
