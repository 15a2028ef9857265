"""The checks of the release gate, in the order they run, for one project.

1. ``contracts``: ``accord contracts check --against REF``: no breaking change within a
   major version since REF (default: the last release tag, else ``origin/main``, else
   ``main``: :func:`default_ref`);
2. ``config``: the settings schemas against REF (:mod:`accord.release.gate_config`);
   *not available* when no service declares its settings;
3. ``pacts``: the consumer-driven contract tests (``pytest tests/contract``);
4. ``ruff`` and ``ruff-format``: lint, with its security rules (bandit's ``S``), and the
   format;
5. ``mypy``: strict typing;
6. ``audit``: ``accord deps audit``: exit 2 (no advisory service reachable) is
   *not checked: unreachable*, which does not pass;
7. ``deploy``: ``accord deploy check``: the committed manifests are the render, valid and
   within policy;
8. ``tests``: the test suite (``pytest``), unless skipped (which is not a pass).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from accord.project import Project
from accord.release.gate import Check, Status

__all__ = ["CHECK_NAMES", "checks", "default_ref"]

#: Every check, in order.
CHECK_NAMES = (
    "contracts",
    "config",
    "pacts",
    "ruff",
    "ruff-format",
    "mypy",
    "audit",
    "deploy",
    "tests",
)
#: The folder of the consumer-driven contract tests, under the project's folder.
PACT_TESTS = Path("tests/contract")
#: The lock whose pins the audit checks.
AUDIT_LOCK = Path("requirements-dev.lock")
#: Where the rendered manifests are committed, and the environment they render.
DEPLOY_DIR, DEPLOY_ENV = Path("deploy/k8s"), "prod"


def default_ref(root: Path) -> str:
    """The last release tag reachable from HEAD, else ``origin/main``, else ``main``."""
    described = _git(root, "describe", "--tags", "--abbrev=0")
    if described.returncode == 0 and described.stdout.strip():
        return described.stdout.strip()
    for ref in ("origin/main", "main"):
        if _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode == 0:
            return ref
    return "HEAD"


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(  # noqa: S603 - fixed program, no shell
            ["git", "-C", str(root), *args],  # noqa: S607 - git from PATH, as a user runs it
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except FileNotFoundError:
        return subprocess.CompletedProcess(args, 127, "", "git is not installed")


def checks(
    project: Project, ref: str, *, only: Sequence[str] = (), osv_dir: Path | None = None
) -> list[Check]:
    """The gate's checks for ``project`` against ``ref`` (``only``: just those, in order;
    ``osv_dir``: a local OSV copy for the audit)."""
    python = sys.executable
    accord = (python, "-m", "accord")
    root = project.root
    unreachable = {2: (Status.NOT_CHECKED, "not checked: unreachable")}
    found = [
        Check(
            "contracts",
            f"contracts against {ref}",
            (*accord, "contracts", "check", "--against", ref),
        ),
        _config(project, ref),
        Check(
            "pacts",
            "pact verification",
            (python, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(PACT_TESTS)),
            unavailable="" if (root / PACT_TESTS).is_dir() else f"no {PACT_TESTS}/",
        ),
        Check("ruff", "ruff (with security rules)", (python, "-m", "ruff", "check")),
        Check(
            "ruff-format",
            "ruff format",
            (python, "-m", "ruff", "format", "--check", "--extend-exclude", "*.md"),
        ),
        Check("mypy", "mypy (strict)", (python, "-m", "mypy")),
        Check(
            "audit",
            "dependency audit",
            (
                *accord,
                "deps",
                "audit",
                "--lock",
                str(AUDIT_LOCK),
                *(("--osv-dir", str(osv_dir)) if osv_dir is not None else ()),
            ),
            statuses=unreachable,
            unavailable="" if (root / AUDIT_LOCK).is_file() else f"no {AUDIT_LOCK}",
        ),
        Check(
            "deploy",
            f"deploy render ({DEPLOY_ENV}): drift, schemas, policy",
            (*accord, "deploy", "check", "--env", DEPLOY_ENV, "--dir", str(DEPLOY_DIR)),
            unavailable="" if (root / DEPLOY_DIR).is_dir() else f"no {DEPLOY_DIR}/",
        ),
        Check("tests", "test suite", (python, "-m", "pytest", "-q", "-p", "no:cacheprovider")),
    ]
    if not only:
        return found
    wanted = set(only)
    return [c for c in found if c.name in wanted or c.name.split("-")[0] in wanted]


def _config(project: Project, ref: str) -> Check:
    title = f"configuration schemas against {ref}"
    if not any(spec.settings for spec in project.services.values()):
        return Check("config", title, unavailable="no service declares its settings")
    return Check(
        "config",
        title,
        (sys.executable, "-m", "accord.release.gate_config", ref),
        statuses={2: (Status.NOT_CHECKED, "not checked")},
    )
