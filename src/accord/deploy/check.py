"""``accord deploy check``: the committed manifests are what the code renders, and valid.

Three kinds of problem, each one line: a file that differs from a fresh render (drift,
as with the contracts), an object its schema refuses (:mod:`accord.deploy.validate`),
and a breach of our own policy (:mod:`accord.deploy.policy`).
"""

from __future__ import annotations

from pathlib import Path

from accord.deploy import policy, validate
from accord.deploy.files import load_folder, texts
from accord.deploy.network import callers
from accord.deploy.render import render
from accord.project import Project

__all__ = ["DEFAULT_DIR", "check"]

#: Where the rendered ``prod`` manifests are committed, under the project's folder.
DEFAULT_DIR = Path("deploy/k8s")


def check(project: Project, env: str, folder: Path) -> list[str]:
    """Every problem of ``folder`` as ``env``'s manifests; empty when none."""
    expected = texts(render(project, env))
    found = dict(load_folder(folder)) if folder.is_dir() else {}
    shown = _shown(project, folder)
    problems = [
        f"{shown}/{path}: differs from the render (accord deploy render --env {env} --out {shown})"
        for path in sorted(set(expected) | set(found))
        if expected.get(path) != found.get(path)
    ]
    objects = validate.parse(found)
    problems += validate.validate(objects)
    who_calls = callers({n: s.depends_on for n, s in project.services.items()})
    problems += policy.check(objects, who_calls)
    return problems


def _shown(project: Project, folder: Path) -> str:
    try:
        return folder.resolve().relative_to(project.root).as_posix()
    except ValueError:
        return str(folder)
