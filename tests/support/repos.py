"""Git repositories for tests of release commands: a clone of this one, commits, edits.

::

    target = clone_repository(tmp / "repo", tag="v0.9.0")   # the repository as committed
    with edited(target / "shop/orders/bootstrap.py", 'old', 'new'):
        result = accord_in(target, "release", "gate", "--json")
    commit_empty(repo, "one")                                   # a commit with no change
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.processes import ROOT

#: Who the commits of a test are by (no global git configuration is needed).
_AUTHOR = ("-c", "user.name=t", "-c", "user.email=t@t")


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``git -C repo args``, checked."""
    return subprocess.run(
        ["git", "-C", str(repo), *_AUTHOR, *args], check=True, capture_output=True, text=True
    )


def commit_empty(repo: Path, message: str) -> None:
    """A commit that changes nothing, named ``message``."""
    git(repo, "commit", "-q", "--allow-empty", "-m", message)


def clone_repository(target: Path, *, tag: str | None = None) -> Path:
    """``target``: a clone of this repository as committed, ``tag`` on its HEAD."""
    git(ROOT, "clone", "-q", str(ROOT), str(target))
    if tag is not None:
        git(target, "tag", tag)
    return target


def accord_in(clone: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m accord args`` run in ``clone``, importing its code, its home inside it."""
    environ = {
        **os.environ,
        "PYTHONPATH": str(clone),
        "ACCORD_HOME": str(clone / ".accord"),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "accord", *args],
        cwd=clone,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@contextmanager
def edited(path: Path, old: str, new: str) -> Iterator[None]:
    """``path`` with its first ``old`` (which must be there) made ``new``, restored after."""
    source = path.read_text(encoding="utf-8")
    assert old in source, f"{old!r} is not in {path}"
    path.write_text(source.replace(old, new, 1), encoding="utf-8")
    try:
        yield
    finally:
        path.write_text(source, encoding="utf-8")
