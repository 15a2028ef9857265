"""Names a package exports but loads on first use (a module ``__getattr__``, PEP 562).

A package whose ``__init__`` would otherwise import heavy modules for a few names lists
where each name lives and assigns the loader::

    _WHERE = {"Flags": "accord.flags.client"}
    __getattr__ = exports(__name__, _WHERE)

The first access imports the module that holds the name and keeps the value in the
package's namespace, so later accesses are plain attribute reads. A name the package
does not list is an ``AttributeError``, as for any module. Type checkers read the names
from the package's ``if TYPE_CHECKING:`` imports.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["exports"]


def exports(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """The ``__getattr__`` of ``package`` for the names ``where`` maps to their modules."""
    namespace = sys.modules[package].__dict__

    def load(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return load
