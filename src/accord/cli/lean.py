"""Imports made lean for a service process (``accord serve``): the same libraries, less
of what they load only for uses a service does not have.

- :func:`import_without` imports libraries with some of their optional dependencies held
  out, then lets those be imported again: structlog (console renderer), httpx (command
  line) and Mako (highlighted tracebacks) load Rich or Pygments whenever installed.
- :func:`asyncio_engine_without_orm`: ``sqlalchemy.ext.asyncio`` imports SQLAlchemy's
  ORM (for ``AsyncSession``) as soon as its engine is imported, about 5 MiB that a
  service on the Core engine never uses. The package is set up so that its engine and
  results load now and the rest (sessions, the ORM) on first use of any other name.
- :func:`uvicorn_without_command_line`: ``uvicorn``'s ``__init__`` imports its command
  line (``uvicorn.main``), and with it the reloading and multiprocess supervisors,
  ``multiprocessing`` and ``watchfiles`` (a Rust library): about 1.4 MiB in a process
  that serves with ``uvicorn.Config`` and ``uvicorn.Server``. Those two load now,
  the rest (``uvicorn.run``, ``uvicorn.main``) on first use, the same way.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import sys
import types
from collections.abc import Iterable
from typing import Any

__all__ = ["asyncio_engine_without_orm", "import_without", "uvicorn_without_command_line"]

_ASYNCIO = "sqlalchemy.ext.asyncio"
_EAGER = ("sqlalchemy.ext.asyncio.engine", "sqlalchemy.ext.asyncio.result")
_UVICORN = "uvicorn"
#: What ``uvicorn/__init__.py`` exports that a server needs, and the module of each.
_UVICORN_EAGER = {"Config": "uvicorn.config", "Server": "uvicorn.server"}


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
        dunder = name.startswith("__") and name != "__version__"
        if dunder or self.__dict__.get("_accord_loaded"):
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
    _lazy_package(_ASYNCIO, {module: None for module in _EAGER})


def uvicorn_without_command_line() -> None:
    """Set up ``uvicorn`` as the module docstring says (when it is installed and not
    imported yet); on any surprise, leave it as it is."""
    _lazy_package(_UVICORN, {module: (name,) for name, module in _UVICORN_EAGER.items()})


def _lazy_package(package_name: str, eager: dict[str, tuple[str, ...] | None]) -> None:
    """Put ``package_name`` in place without running its ``__init__``: the ``eager``
    modules are imported now and their names (those given; ``None``: their public ones)
    set on the package; its ``__init__`` runs on the first other name asked for."""
    if package_name in sys.modules:
        return
    try:
        spec = importlib.util.find_spec(package_name)
    except ImportError:
        return
    if spec is None or spec.submodule_search_locations is None:
        return
    package = _LazyRest(package_name)
    package.__spec__ = spec
    package.__path__ = list(spec.submodule_search_locations)
    package.__file__ = spec.origin
    package.__package__ = package_name
    package.__loader__ = spec.loader
    sys.modules[package_name] = package
    try:
        for name, names in eager.items():
            module = importlib.import_module(name)
            public = (
                names
                or getattr(module, "__all__", None)
                or [n for n in vars(module) if not n.startswith("_")]
            )
            for attr in public:
                package.__dict__.setdefault(attr, getattr(module, attr))
    except Exception:  # a layout this does not know: import it the ordinary way
        for name in [*eager, package_name]:
            sys.modules.pop(name, None)
        importlib.import_module(package_name)
