"""The expand/contract rule: a candidate's migrations must not break the stable version.

Old and new versions share one database, and the candidate's migrations run before it
takes traffic, so they may only *expand* the schema. Dropping or renaming a table or a
column is a *contract* step, for a later release once no running version reads it.

:func:`hazards` reads an Alembic migration's ``upgrade()`` (its source, never run) and
names every operation that breaks the rule:

- ``op.drop_table``, ``op.drop_column``, ``op.rename_table``;
- ``op.alter_column(..., new_column_name=...)``;
- the same on ``batch_op`` inside ``with op.batch_alter_table(...) as batch_op:``;
- ``op.execute("...")`` whose SQL drops or renames a table or column.

A revision whose ``upgrade`` is bound from :func:`accord.sql.idempotency_migration`
(``upgrade, downgrade = idempotency_migration(TABLE)``) only creates a table.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import msgspec

__all__ = ["Hazard", "Migration", "hazards", "migrations_under", "read_migration"]

_SQL = re.compile(
    r"\b(DROP\s+TABLE|DROP\s+COLUMN|RENAME\s+TO|RENAME\s+COLUMN|RENAME\s+TABLE)\b", re.I
)


class Hazard(msgspec.Struct, frozen=True, kw_only=True):
    """One operation of a migration that drops or renames what the stable version uses."""

    file: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.what}"


class Migration(msgspec.Struct, frozen=True, kw_only=True):
    """One Alembic revision: its id, its file, and what its ``upgrade()`` breaks."""

    revision: str
    path: str
    hazards: tuple[Hazard, ...]


def read_migration(path: Path) -> Migration | None:
    """The migration in ``path``; None when it is not an Alembic revision file."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    revision = _constants(tree).get("revision")
    upgrade = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"), None
    )
    if not isinstance(revision, str) or (upgrade is None and not _creates_keys(tree)):
        return None
    return Migration(revision=revision, path=str(path), hazards=tuple(_walk(tree, path.name)))


def migrations_under(folder: Path) -> list[Migration]:
    """Every Alembic revision in a ``versions/`` folder anywhere under ``folder``."""
    found = (read_migration(p) for p in sorted(folder.rglob("versions/*.py")))
    return [m for m in found if m is not None]


def hazards(source: str, filename: str = "<migration>") -> list[Hazard]:
    """What ``upgrade()`` in ``source`` drops or renames (empty: expand only)."""
    return _walk(ast.parse(source, filename=filename), filename)


def _walk(tree: ast.Module, filename: str) -> list[Hazard]:
    upgrade = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"), None
    )
    if upgrade is None:
        return []
    constants = _constants(tree)
    batches: dict[str, str] = {}
    for node in ast.walk(upgrade):
        if isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                call = item.context_expr
                if (
                    isinstance(call, ast.Call)
                    and _is_call(call, "op", "batch_alter_table")
                    and isinstance(item.optional_vars, ast.Name)
                ):
                    batches[item.optional_vars.id] = _text(_arg(call, 0, "table_name"), constants)
    found: list[Hazard] = []
    for node in ast.walk(upgrade):
        if isinstance(node, ast.Call):
            what = _judge(node, batches, constants)
            if what:
                found.append(Hazard(file=filename, line=node.lineno, what=what))
    return sorted(found, key=lambda h: h.line)


def _judge(call: ast.Call, batches: dict[str, str], constants: dict[str, object]) -> str:
    func = call.func
    if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name):
        return ""
    owner, name = func.value.id, func.attr

    def arg(i: int, keyword: str) -> str:
        return _text(_arg(call, i, keyword), constants)

    if owner == "op":
        if name == "drop_table":
            return f"drops table {arg(0, 'table_name')}"
        if name == "drop_column":
            return f"drops column {arg(0, 'table_name')}.{arg(1, 'column_name')}"
        if name == "rename_table":
            return f"renames table {arg(0, 'old_table_name')} to {arg(1, 'new_table_name')}"
        if name == "alter_column" and _keyword(call, "new_column_name") is not None:
            new = _text(_keyword(call, "new_column_name"), constants)
            return f"renames column {arg(0, 'table_name')}.{arg(1, 'column_name')} to {new}"
        if name == "execute":
            sql = _arg(call, 0, "sqltext")
            value = _value(sql, constants)
            if isinstance(value, str) and _SQL.search(value):
                return f"runs SQL that drops or renames: {' '.join(value.split())[:80]}"
        return ""
    if owner in batches:
        table = batches[owner]
        if name == "drop_column":
            return f"drops column {table}.{arg(0, 'column_name')}"
        if name == "alter_column" and _keyword(call, "new_column_name") is not None:
            new = _text(_keyword(call, "new_column_name"), constants)
            return f"renames column {table}.{arg(0, 'column_name')} to {new}"
    return ""


def _is_call(node: ast.AST, owner: str, name: str) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and (node.func.value.id, node.func.attr) == (owner, name)
    )


def _arg(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    if len(call.args) > index and not isinstance(call.args[index], ast.Starred):
        return call.args[index]
    return _keyword(call, keyword)


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _creates_keys(tree: ast.Module) -> bool:
    """Whether the module binds ``upgrade`` from ``idempotency_migration(...)``."""
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        func = node.value.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        names = [
            n.id
            for target in node.targets
            for n in (target.elts if isinstance(target, ast.Tuple) else [target])
            if isinstance(n, ast.Name)
        ]
        if called == "idempotency_migration" and "upgrade" in names:
            return True
    return False


def _constants(tree: ast.Module) -> dict[str, object]:
    out: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out[target.id] = node.value.value
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(node.value, ast.Constant)
        ):
            out[node.target.id] = node.value.value
    return out


def _value(node: ast.expr | None, constants: dict[str, object]) -> object:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if isinstance(node, ast.Call) and node.args:  # sa.text("..."), a f-free SQL string
        return _value(node.args[0], constants)
    return None


def _text(node: ast.expr | None, constants: dict[str, object]) -> str:
    if node is None:
        return "?"
    value = _value(node, constants)
    return str(value) if isinstance(value, str) else ast.unparse(node)
