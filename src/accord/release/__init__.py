"""Releases: immutable builds of a service, the expand/contract check, and the analysis.

- :mod:`accord.release.analysis`: pass / fail / not enough data for a candidate (pure);
- :mod:`accord.release.plan`: the canary's steps and analysis parameters, one plan for the
  local rollout and the cluster's (:class:`CanaryPlan`);
- :mod:`accord.release.gate`, :mod:`accord.release.gate_checks`: ``accord release gate``;
- :mod:`accord.release.store`: where releases live and how to start one (:class:`Release`);
- :mod:`accord.release.build`: ``accord release build``: a wheel in its own environment;
- :mod:`accord.release.migrations`: a candidate's migrations must not drop or rename.
"""

from __future__ import annotations

from accord.release.analysis import Analysis, Finding, Verdict, analyse
from accord.release.plan import DEFAULT_PLAN, CanaryPlan
from accord.release.store import (
    Manifest,
    Release,
    ReleaseError,
    find,
    listing,
    releases_dir,
    version_id,
)

__all__ = [
    "DEFAULT_PLAN",
    "Analysis",
    "CanaryPlan",
    "Finding",
    "Manifest",
    "Release",
    "ReleaseError",
    "Verdict",
    "analyse",
    "find",
    "listing",
    "releases_dir",
    "version_id",
]
