"""Where releases live, and how to start one.

A release is a folder ``<home>/releases/<service>/<version>/`` holding ``venv/`` (its own
virtual environment, the service's wheel installed with the hashed runtime lock) and
``release.json`` (its :class:`Manifest`). It is made once by ``accord release build`` and
never changed afterwards: the folder is read-only.

To run one (what ``accord rollout`` does)::

    release = find(project.home, "orders", "2.0.0-1a2b3c4")
    subprocess.Popen(
        release.command(port=9101),
        cwd=release.cwd,
        env=release.environ(base_environment),
    )

The command is ``<venv>/bin/python -m accord serve <app> --host 127.0.0.1 --port <port>``;
``cwd`` and ``environ`` keep the working tree off the import path, so the release runs the
code it was built from and nothing else.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec

from accord.errors import AccordError

__all__ = [
    "MANIFEST",
    "Manifest",
    "Release",
    "ReleaseError",
    "find",
    "listing",
    "releases_dir",
    "version_id",
]

#: The file inside a release folder that describes it.
MANIFEST = "release.json"

#: Variables that would put other code on the release's import path.
_FOREIGN = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")


class ReleaseError(AccordError):
    """A release cannot be built, found or checked."""


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    """What ``release.json`` records about a release."""

    service: str
    version: str
    commit: str
    ref: str
    app: str
    contracts: dict[str, str]
    built_at: datetime.datetime
    python: str
    wheel: str


@dataclass(frozen=True)
class Release:
    """One built release: its manifest and the folder it lives in."""

    manifest: Manifest
    path: Path

    @property
    def service(self) -> str:
        """The service's name, as ``accord.toml`` has it."""
        return self.manifest.service

    @property
    def version(self) -> str:
        """The version id: ``<contract version>-<short commit>``."""
        return self.manifest.version

    @property
    def python(self) -> Path:
        """The release environment's interpreter."""
        return self.path / "venv" / "bin" / "python"

    @property
    def cwd(self) -> Path:
        """The folder to start the service in (no importable code of its own)."""
        return self.path

    def command(
        self, port: int, *, host: str = "127.0.0.1", extra: Sequence[str] = ()
    ) -> list[str]:
        """The command line that serves this release on ``host:port``."""
        return [
            str(self.python),
            "-m",
            "accord",
            "serve",
            self.manifest.app,
            "--host",
            host,
            "--port",
            str(port),
            *extra,
        ]

    def environ(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """``base`` (default: this process's environment) without what could import other
        code instead of the release's (``PYTHONPATH`` and the like)."""
        env = dict(os.environ if base is None else base)
        for name in _FOREIGN:
            env.pop(name, None)
        env["PYTHONUNBUFFERED"] = "1"
        return env


def releases_dir(home: Path) -> Path:
    """The folder every release of a project lives under: ``<home>/releases``."""
    return home / "releases"


def version_id(contract_version: str, commit: str) -> str:
    """``2.0.0`` and a commit id → ``2.0.0-1a2b3c4`` (seven hex digits of the commit)."""
    return f"{contract_version}-{commit[:7]}"


def _read(folder: Path) -> Release:
    try:
        manifest = msgspec.json.decode((folder / MANIFEST).read_bytes(), type=Manifest)
    except (OSError, msgspec.DecodeError) as exc:
        raise ReleaseError(f"{folder}: not a release ({exc})") from None
    return Release(manifest=manifest, path=folder)


def listing(home: Path, service: str | None = None) -> list[Release]:
    """Every release (of ``service`` if given), oldest build first."""
    root = releases_dir(home)
    if not root.is_dir():
        return []
    out: list[Release] = []
    for service_dir in sorted(root.iterdir()):
        if service is not None and service_dir.name != service:
            continue
        for folder in sorted(service_dir.iterdir()) if service_dir.is_dir() else ():
            if (folder / MANIFEST).is_file():
                out.append(_read(folder))
    return sorted(out, key=lambda r: (r.manifest.built_at, r.service, r.version))


def find(home: Path, service: str, version: str) -> Release:
    """The release ``version`` of ``service``; :class:`ReleaseError` when there is none."""
    folder = releases_dir(home) / service / version
    if not (folder / MANIFEST).is_file():
        known = [r.version for r in listing(home, service)]
        hint = f" (built: {', '.join(known)})" if known else " (none built)"
        raise ReleaseError(f"no release {version} of {service}{hint}")
    return _read(folder)
