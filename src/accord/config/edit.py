"""Changing a running service's settings by writing its file, as a person would.

::

    set_faults(Layout.from_env(), "payments", FaultConfig(abort=AbortFault(status=503)))
    set_faults(Layout.from_env(), "payments", None)      # faults off again

The environment's overlay (``config/<env>/<service>.toml``) gets the new values; its
leading comment lines are kept, and the file is replaced in one rename, so the
service's watcher never reads it half-written. Given the settings class, the result
is checked first and nothing is written when it would not validate.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from accord.config.errors import ConfigError
from accord.config.files import Layout, read_toml
from accord.config.load import check_file
from accord.config.toml_out import dumps

__all__ = ["set_faults", "set_values"]


def set_values(
    layout: Layout,
    service: str,
    values: Mapping[str, Any],
    *,
    settings: type[msgspec.Struct] | None = None,
) -> Path:
    """Set dotted ``values`` (``None`` removes a key) in ``service``'s overlay file."""
    path = layout.env_file(service)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    data = read_toml(path, old).data if old else {}
    for key, value in values.items():
        node = data
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = msgspec.to_builtins(value)
    header = "".join(
        line + "\n" for line in old.splitlines() if line.startswith("#") or not line.strip()
    ).split("\n\n", 1)[0]
    text = dumps(data, header=header)
    if settings is not None:
        problems = check_file(settings, service, read_toml(path, text))
        if problems:
            raise ConfigError(problems)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def set_faults(
    layout: Layout,
    service: str,
    faults: Any,
    *,
    settings: type[msgspec.Struct] | None = None,
) -> Path:
    """Inject ``faults`` (a :class:`~accord.runtime.faults.FaultConfig`, ``None``: none)
    into ``service`` by writing its file; the running service applies them live."""
    return set_values(layout, service, {"faults": faults}, settings=settings)
