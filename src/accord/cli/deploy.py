"""``accord deploy``: the project as Kubernetes manifests, and their check.

::

    accord deploy render --env E --out DIR [--digest [SERVICE=]sha256:…]  # apply -k DIR
    accord deploy check [--env prod] [--dir deploy/k8s]          # drift, schemas, policy

Bad input (an unknown environment, a service without objectives, a configuration that
fails its schema) is one line and exit 1, with nothing written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from accord.cli.exits import fail
from accord.errors import AccordError

if TYPE_CHECKING:
    from accord.project import Project

__all__ = ["register"]

deploy_app = typer.Typer(
    name="deploy",
    help="Render the project for Kubernetes (Argo Rollouts), and check what is committed.",
    no_args_is_help=True,
)


def _project() -> Project:
    from accord.project import load

    project = load()
    root = str(project.root)
    if root not in sys.path:
        sys.path.insert(0, root)
    return project


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


@deploy_app.command("render")
def render_command(
    env: Annotated[str, typer.Option("--env", help="The environment (config/<env>/).")],
    out: Annotated[Path, typer.Option("--out", help="The folder to write (replaced).")],
    digest: Annotated[
        list[str] | None,
        typer.Option(
            "--digest",
            help="The image's digest, or SERVICE=digest for one service (repeatable; "
            "default: the placeholder).",
        ),
    ] = None,
) -> None:
    """Write every manifest of ENV under OUT: one folder per service, a kustomization.

    Example: accord deploy render --env prod --out deploy/k8s
    """
    from accord.deploy import render, write

    try:
        project = _project()
        written = write(render(project, env, digests=_digests(digest or [])), out)
    except (AccordError, OSError) as exc:
        raise fail(_one_line(exc), code=1) from None
    typer.echo(f"wrote {len(written)} files to {out} (kubectl apply -k {out})", err=True)


def _digests(values: list[str]) -> dict[str, str]:
    """``sha256:…`` (every service) and ``SERVICE=sha256:…`` (one) → service → digest."""
    out: dict[str, str] = {}
    for value in values:
        service, _, digest = value.rpartition("=")
        out[service] = digest
    return out


@deploy_app.command("check")
def check_command(
    env: Annotated[str, typer.Option("--env", help="The environment rendered.")] = "prod",
    folder: Annotated[
        Path | None, typer.Option("--dir", help="The committed manifests (deploy/k8s).")
    ] = None,
) -> None:
    """Fail (exit 1) when the committed manifests drift from the render, or when an object
    fails its schema or our policy.

    Example: accord deploy check --env prod
    """
    from accord.deploy.check import DEFAULT_DIR, check

    try:
        project = _project()
        target = folder if folder is not None else project.root / DEFAULT_DIR
        problems = check(project, env, target)
    except (AccordError, OSError) as exc:
        raise fail(_one_line(exc), code=1) from None
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    if problems:
        raise fail(f"{len(problems)} problem(s) in {target}", code=1)
    typer.echo(f"{target}: up to date, valid, within policy", err=True)


def register(app: typer.Typer) -> None:
    """Add ``accord deploy`` to the CLI."""
    from accord.cli import _help

    app.add_typer(deploy_app, rich_help_panel=_help.OPERATE)
