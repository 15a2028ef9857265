"""The toolkit (``src/accord``) names none of the shop's services, paths or scopes.

The import graph cannot see a service named in a string, so this test reads every string
constant of ``src/accord`` (f-string parts included) and refuses the shop's words. What a
project runs, where its services answer and what its scopes are come from configuration
(``accord.toml``, a service's settings) or a plug-in the project registers; a name baked in
as a string would make the feature work for the shop only.

Docstrings are skipped: an example there (``accord contracts show orders.v2``) documents,
it does not decide. Everything else counts, help texts and error messages included.

How a word is matched:

- A service name (``orders``, ``inventory``, ``payments``, ``identity``) is refused as a
  whole word, where ``_``, ``-``, ``/``, ``:``, ``.`` and spaces separate words, so the
  name is caught in an environment variable (``ACCORD_URL_IDENTITY``), a path
  (``/v1/orders``), a scope (``orders:read``) or a sentence ("the identity service").
- "identity" is also a generic word of the field (a SPIFFE id is a *workload identity*);
  the phrases in :data:`GENERIC` are taken out before matching, so they may be used, and
  the service's name is still refused everywhere else.
- The shop's paths and its trust domain are refused as substrings; its scopes are read
  from ``shop/*/contract*.py`` (every ``scopes=(…)``), so a scope added there is refused
  here without editing this file.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: The shop's services: refused as whole words.
SERVICES = ("orders", "inventory", "payments", "identity")
#: The shop's paths and names: refused anywhere in a string.
SUBSTRINGS = ("/v1/orders", "/v1/skus", "/v2/orders", "shop.local")
#: Generic uses of a service's word, allowed (see the module docstring).
GENERIC = ("workload identity",)

_SEPARATED = r"(?<![A-Za-z0-9]){}(?![A-Za-z0-9])"


def shop_scopes(root: Path = ROOT) -> set[str]:
    """Every scope an operation of the shop declares (``scopes=("inventory:read",)``)."""
    found: set[str] = set()
    for path in sorted((root / "shop").glob("*/contract*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "scopes":
                found.update(
                    c.value
                    for c in ast.walk(node.value)
                    if isinstance(c, ast.Constant) and isinstance(c.value, str)
                )
    return found


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the constant nodes that are docstrings (module, class, function)."""
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, kinds) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def strings(source: str) -> Iterator[tuple[int, str]]:
    """``(line, text)`` of every string constant of ``source`` but its docstrings."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield node.lineno, node.value


def offences(text: str, scopes: set[str]) -> list[str]:
    """What of the shop ``text`` names (empty when nothing)."""
    lowered = text.lower()
    for phrase in GENERIC:
        lowered = lowered.replace(phrase, " ")
    found = [s for s in SERVICES if re.search(_SEPARATED.format(re.escape(s)), lowered)]
    found += [s for s in (*SUBSTRINGS, *sorted(scopes)) if s in lowered]
    return found


def named_in(root: Path, scopes: set[str]) -> list[str]:
    """``path:line: words in 'text'`` for every string of ``root/src/accord`` naming the
    shop."""
    out: list[str] = []
    for path in sorted((root / "src" / "accord").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for line, text in sorted(strings(path.read_text(encoding="utf-8"))):
            words = offences(text, scopes)
            if words:
                out.append(f"{rel}:{line}: {', '.join(words)} in {text[:80]!r}")
    return out


def test_the_shop_declares_scopes_this_test_can_read() -> None:
    scopes = shop_scopes()
    assert {"inventory:reserve", "payments:authorize", "orders:write"} <= scopes


def test_no_string_of_the_toolkit_names_the_shop() -> None:
    found = named_in(ROOT, shop_scopes())
    assert found == [], "the toolkit names the shop:\n" + "\n".join(found)


def test_the_forms_a_name_takes_are_caught() -> None:
    scopes = {"inventory:reserve", "payments:authorize"}
    caught = {
        "orders": ["orders"],
        "ACCORD_URL_IDENTITY": ["identity"],
        "from the identity service": ["identity"],
        "http://127.0.0.1:8101/v1/orders?limit=1": ["orders", "/v1/orders"],
        "GET /v1/skus/{sku}": ["/v1/skus"],
        "spiffe://shop.local/x": ["shop.local"],
        "inventory:reserve payments:authorize": [
            "inventory",
            "payments",
            "inventory:reserve",
            "payments:authorize",
        ],
    }
    for text, words in caught.items():
        assert offences(text, scopes) == words, text
    for fine in ("reorders", "identityless", "a Workload Identity (SPIFFE)", "x:read"):
        assert offences(fine, scopes) == [], fine


def test_docstrings_are_skipped_and_every_other_string_counts(tmp_path: Path) -> None:
    module = tmp_path / "src" / "accord" / "m.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        '"""Example: accord contracts show orders.v2"""\n'
        "def f(name: str) -> str:\n"
        '    """The orders service."""\n'
        '    return f"{name} answers at /v2/orders"\n'
        'HELP = "A service name (payments)"\n',
        encoding="utf-8",
    )
    found = named_in(tmp_path, set())
    assert [entry.split(": ", 1)[0] for entry in found] == [
        "src/accord/m.py:4",
        "src/accord/m.py:5",
    ]
