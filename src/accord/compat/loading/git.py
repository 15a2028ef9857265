"""Documents as they were at a git ref: ``git show REF:<folder>/<file>``."""

from __future__ import annotations

import subprocess
from pathlib import Path

from accord.compat.types import SpecError

__all__ = ["documents_at"]


def documents_at(
    repo: Path, ref: str, folder: Path, *, suffix: str = ".openapi.json"
) -> dict[str, bytes]:
    """File name → bytes of every ``*<suffix>`` (``*.openapi.json``) in ``folder`` at ``ref``.

    ``folder`` is inside the git work tree that holds ``repo``. Raises
    :class:`SpecError` when git is missing, ``ref`` is unknown or the folder is not
    tracked.
    """
    relative = _relative(repo, folder)
    verify = _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if verify.returncode != 0:
        raise SpecError(f"unknown git ref {ref!r}")
    listed = _git(repo, "ls-tree", "--name-only", ref, "--", f"{relative}/")
    if listed.returncode != 0:
        raise SpecError(f"cannot list {relative} at {ref}: {_first(listed.stderr)}")
    out: dict[str, bytes] = {}
    for line in listed.stdout.decode("utf-8", "replace").splitlines():
        name = line.rsplit("/", 1)[-1]
        if not name.endswith(suffix):
            continue
        shown = _git(repo, "show", f"{ref}:{relative}/{name}")
        if shown.returncode != 0:  # pragma: no cover - listed a moment ago
            raise SpecError(f"cannot read {relative}/{name} at {ref}: {_first(shown.stderr)}")
        out[name] = shown.stdout
    return out


def _relative(repo: Path, folder: Path) -> str:
    top = _git(repo, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise SpecError(f"{repo} is not in a git work tree: {_first(top.stderr)}")
    root = Path(top.stdout.decode().strip()).resolve()
    try:
        return folder.resolve().relative_to(root).as_posix()
    except ValueError:
        raise SpecError(f"{folder} is outside the git work tree {root}") from None


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(  # noqa: S603 - fixed program, arguments are not a shell
            ["git", "-C", str(repo), *args],  # noqa: S607 - git from PATH, as a user runs it
            capture_output=True,
            timeout=60,
            check=False,
        )
    except FileNotFoundError:
        raise SpecError("git is not installed") from None


def _first(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[0] if lines else "git failed"
