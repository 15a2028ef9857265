"""``accord release build``: the project at a commit, as a wheel in its own environment.

1. resolve the ref to a commit and export that commit (``git archive``) into a temporary
   folder: what is built is what was committed, never the working tree;
2. read ``accord.toml`` *of that commit*; the version id is the highest version among the
   service's contracts (read from their source, not imported) and the short commit;
3. claim ``<home>/releases/<service>/<version>/`` (refused when it exists), build the
   wheel, make ``venv/``, install the commit's ``requirements.lock`` with
   ``--require-hashes`` and then the wheel, write ``release.json`` last;
4. make the folder read-only. A failed build removes what it made.
"""

from __future__ import annotations

import ast
import datetime
import io
import platform
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import msgspec

from accord.project import Project, ProjectError
from accord.project import load as load_project
from accord.release.store import (
    MANIFEST,
    Manifest,
    Release,
    ReleaseError,
    releases_dir,
    version_id,
)

__all__ = ["build", "contract_versions", "resolve"]

_PIP = ("-m", "pip", "--disable-pip-version-check", "--no-input")


def resolve(root: Path, ref: str) -> str:
    """The full commit id ``ref`` names in the repository at ``root``."""
    done = _run(["git", "-C", str(root), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"])
    if done.returncode != 0:
        raise ReleaseError(f"{ref!r} is not a commit of {root}")
    return done.stdout.strip()


def build(project: Project, service: str, *, ref: str = "HEAD") -> Release:
    """Build ``service`` at ``ref`` into ``<home>/releases``; returns the new release."""
    commit = resolve(project.root, ref)
    with tempfile.TemporaryDirectory(prefix="accord-release-") as tmp:
        source = Path(tmp) / "source"
        _export(project.root, commit, source)
        try:
            then = load_project(source / "accord.toml", environ={})
        except ProjectError as exc:
            raise ReleaseError(f"at {commit[:7]}: {exc}") from None
        spec = then.services.get(service)
        if spec is None:
            known = ", ".join(then.services) or "none"
            raise ReleaseError(f"no service {service!r} at {ref} (there: {known})")
        contracts = contract_versions(source, spec.contracts)
        if not contracts:
            raise ReleaseError(f"{service} declares no contract at {ref}: no version to name")
        highest = max(contracts.values(), key=lambda v: tuple(int(p) for p in v.split(".")))
        version = version_id(highest, commit)
        target = releases_dir(project.home) / service / version
        _claim(target, service, version)
        try:
            wheel = _install(source, target, Path(tmp) / "dist")
            manifest = Manifest(
                service=service,
                version=version,
                commit=commit,
                ref=ref,
                app=spec.app,
                contracts=contracts,
                built_at=datetime.datetime.now(datetime.UTC),
                python=platform.python_version(),
                wheel=wheel,
            )
            (target / MANIFEST).write_bytes(msgspec.json.format(msgspec.json.encode(manifest)))
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
    _freeze(target)
    return Release(manifest=manifest, path=target)


def contract_versions(source: Path, refs: list[str]) -> dict[str, str]:
    """Contract name → version, read from the source of ``module:Class`` references."""
    out: dict[str, str] = {}
    for ref in refs:
        module, _, cls = ref.partition(":")
        found = _class_keywords(source, module, cls)
        if "name" not in found or "version" not in found:
            raise ReleaseError(f"cannot read the name and version of {ref} in its source")
        out[found["name"]] = found["version"]
    return out


def _class_keywords(source: Path, module: str, cls: str) -> dict[str, str]:
    relative = Path(*module.split("."))
    for base in (source, source / "src"):
        for path in (base / relative.with_suffix(".py"), base / relative / "__init__.py"):
            if path.is_file():
                tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
                for node in tree.body:
                    if isinstance(node, ast.ClassDef) and node.name == cls:
                        return {
                            k.arg: k.value.value
                            for k in node.keywords
                            if k.arg
                            and isinstance(k.value, ast.Constant)
                            and isinstance(k.value.value, str)
                        }
    raise ReleaseError(f"cannot find {module}:{cls} in the source")


def _export(root: Path, commit: str, into: Path) -> None:
    """Extract the project's folder as ``commit`` has it (the project may sit below the
    repository's top folder)."""
    prefix = _run(["git", "-C", str(root), "rev-parse", "--show-prefix"]).stdout.strip()
    tree = f"{commit}:{prefix}" if prefix else commit
    done = subprocess.run(  # noqa: S603 - fixed program, arguments are not a shell
        ["git", "-C", str(root), "archive", "--format=tar", tree],  # noqa: S607 - git from PATH
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise ReleaseError(f"git archive {commit[:7]} failed: {_last(done.stderr.decode())}")
    into.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(into, filter="data")


def _claim(target: Path, service: str, version: str) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.mkdir()
    except FileExistsError:
        if (target / MANIFEST).is_file():
            raise ReleaseError(
                f"release {version} of {service} exists; a release is never rebuilt"
            ) from None
        raise ReleaseError(
            f"{target} exists without {MANIFEST} (a build that is running or died); "
            "remove it to build again"
        ) from None


def _install(source: Path, target: Path, dist: Path) -> str:
    """Build the wheel, make the environment, install the lock and the wheel."""
    _step(
        [
            sys.executable,
            *_PIP,
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(dist),
            str(source),
        ],
        "building the wheel",
    )
    (wheel,) = sorted(dist.glob("*.whl"))
    kept = target / "wheel" / wheel.name
    kept.parent.mkdir()
    shutil.copy2(wheel, kept)
    _step([sys.executable, "-m", "venv", str(target / "venv")], "making the environment")
    python = str(target / "venv" / "bin" / "python")
    lock = source / "requirements.lock"
    if not lock.is_file():
        raise ReleaseError("no requirements.lock at that commit: nothing to install from")
    _step(
        [python, *_PIP, "install", "--quiet", "--require-hashes", "-r", str(lock)],
        "installing requirements.lock",
    )
    _step([python, *_PIP, "install", "--quiet", "--no-deps", str(kept)], "installing the wheel")
    return wheel.name


def _freeze(target: Path) -> None:
    """Take every write permission away: the release is never changed afterwards."""
    writable = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
    for path in sorted(target.rglob("*"), reverse=True):
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~writable)
    target.chmod(target.stat().st_mode & ~writable)


def _step(argv: list[str], what: str) -> None:
    done = _run(argv)
    if done.returncode != 0:
        raise ReleaseError(f"{what} failed: {_last(done.stderr or done.stdout)}")


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    # Fixed programs (git, this interpreter, the release's), arguments are not a shell.
    return subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603


def _last(output: str) -> str:
    lines = [
        line.strip()
        for line in output.splitlines()
        if line.strip() and not line.lstrip().startswith("WARNING")
    ]
    return lines[-1] if lines else "no output"
