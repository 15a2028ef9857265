"""The locks agree: pip, installed first from its own lock, is the one the development
lock pins, with the same hashes."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pin(lock: Path, package: str) -> tuple[str, frozenset[str]]:
    """``package``'s version and hashes in a lock compiled with hashes."""
    text = lock.read_text(encoding="utf-8")
    found = re.search(rf"^{package}==(\S+)((?:\s*\\\n\s+--hash=sha256:[0-9a-f]+)+)", text, re.M)
    assert found, f"{lock.name} pins no {package}"
    return found.group(1), frozenset(re.findall(r"sha256:([0-9a-f]+)", found.group(2)))


def test_pip_is_the_one_the_development_lock_pins() -> None:
    version, hashes = _pin(ROOT / "requirements-pip.lock", "pip")
    assert (version, hashes) == _pin(ROOT / "requirements-dev.lock", "pip")
    assert hashes


def test_the_makefile_installs_pip_before_any_lock() -> None:
    recipe = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert recipe.index("-r requirements-pip.lock") < recipe.index("-r requirements.lock")
