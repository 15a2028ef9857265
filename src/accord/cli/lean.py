"""Imports made lean for a service process (``accord serve``): the same libraries, less
of what they load only for uses a service does not have.

- :func:`import_without` imports libraries with some of their optional dependencies held
  out, then lets those be imported again: structlog (console renderer), httpx (command
  line) and Mako (highlighted tracebacks) load Rich or Pygments whenever installed.
- :func:`asyncio_engine_without_orm`: ``sqlalchemy.ext.asyncio`` imports SQLAlchemy's
  ORM (for ``AsyncSession``) as soon as its engine is imported, about 5 MiB that a
  service on the Core engine never uses. The package is set up so that its engine and
  results load now and the rest (sessions, the ORM) on first use of any other name.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import sys
import types
from collections.abc import Iterable
from typing import Any

__all__ = ["asyncio_engine_without_orm", "import_without"]

_ASYNCIO = "sqlalchemy.ext.asyncio"
_EAGER = ("sqlalchemy.ext.asyncio.engine", "sqlalchemy.ext.asyncio.result")


def import_without(held_out: Iterable[str], modules: Iterable[str]) -> None:
    """Import ``modules`` (those installed) while ``held_out`` cannot be imported.

    Does nothing when any of them is imported already.
    """
    held, wanted = tuple(held_out), tuple(modules)
    if any(name in sys.modules for name in (*held, *wanted)):
        return
    for name in held:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        for module in wanted:
            with contextlib.suppress(ImportError):
                importlib.import_module(module)
    finally:
        for name in held:
            if sys.modules.get(name) is None:
                del sys.modules[name]


class _LazyRest(types.ModuleType):
    """A package whose own ``__init__`` runs on the first name it does not have yet."""

    def __getattr__(self, name: str) -> Any:
        missing = AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        if name.startswith("__") or self.__dict__.get("_accord_loaded"):
            raise missing
        # A submodule not imported yet (``from . import exc``): the import system's.
        if importlib.util.find_spec(f"{self.__name__}.{name}") is not None:
            raise missing
        self.__dict__["_accord_loaded"] = True
        spec = self.__spec__
        assert spec is not None and spec.loader is not None
        spec.loader.exec_module(self)
        return getattr(self, name)


def asyncio_engine_without_orm() -> None:
    """Set up ``sqlalchemy.ext.asyncio`` as the module docstring says (when SQLAlchemy is
    installed and the package not imported yet); on any surprise, leave it as it is."""
    if _ASYNCIO in sys.modules:
        return
    try:
        spec = importlib.util.find_spec(_ASYNCIO)
    except ImportError:
        return
    if spec is None or spec.submodule_search_locations is None:
        return
    package = _LazyRest(_ASYNCIO)
    package.__spec__ = spec
    package.__path__ = list(spec.submodule_search_locations)
    package.__file__ = spec.origin
    package.__package__ = _ASYNCIO
    package.__loader__ = spec.loader
    sys.modules[_ASYNCIO] = package
    try:
        for name in _EAGER:
            module = importlib.import_module(name)
            public = getattr(module, "__all__", None) or [
                n for n in vars(module) if not n.startswith("_")
            ]
            for attr in public:
                package.__dict__.setdefault(attr, getattr(module, attr))
    except Exception:  # a layout this does not know: import it the ordinary way
        for name in [*_EAGER, _ASYNCIO]:
            sys.modules.pop(name, None)
        importlib.import_module(_ASYNCIO)
