"""``accord release check``: a candidate's new migrations against the expand/contract rule.

The migrations a release brings are the Alembic revisions installed in its environment
under its service's package (the package of its app factory). Those that the baseline
release (the stable version; by default the newest earlier build of the service) does not
have are the ones that would run before the candidate takes traffic: each is read by
:func:`accord.release.migrations.hazards`.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from accord.release.migrations import Hazard, Migration, migrations_under
from accord.release.store import Release, listing

__all__ = ["CheckResult", "check", "default_baseline", "release_migrations"]


class CheckResult(msgspec.Struct, frozen=True, kw_only=True):
    """The revisions a candidate brings over its baseline, and what they break."""

    new: tuple[str, ...]
    hazards: tuple[Hazard, ...]

    @property
    def safe(self) -> bool:
        """True when every new migration only expands the schema."""
        return not self.hazards


def release_migrations(release: Release) -> list[Migration]:
    """The Alembic revisions installed with ``release``, under its service's package."""
    module = release.manifest.app.partition(":")[0]
    package = module.rsplit(".", 1)[0] if "." in module else module
    for site in sorted((release.path / "venv" / "lib").glob("python*/site-packages")):
        folder = site / Path(*package.split("."))
        if folder.is_dir():
            return migrations_under(folder)
    return []


def default_baseline(home: Path, candidate: Release) -> Release | None:
    """The newest release of the same service built before ``candidate``; None if none."""
    earlier = [
        r
        for r in listing(home, candidate.service)
        if r.version != candidate.version and r.manifest.built_at < candidate.manifest.built_at
    ]
    return earlier[-1] if earlier else None


def check(candidate: Release, baseline: Release | None) -> CheckResult:
    """The candidate's migrations that ``baseline`` lacks (all without one), and hazards."""
    known = {m.revision for m in release_migrations(baseline)} if baseline else set()
    new = [m for m in release_migrations(candidate) if m.revision not in known]
    return CheckResult(
        new=tuple(m.revision for m in new),
        hazards=tuple(h for m in new for h in m.hazards),
    )
