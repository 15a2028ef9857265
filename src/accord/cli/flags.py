"""``accord flags``: the feature flags of each environment, listed, checked and edited.

::

    accord flags list [--env E]                   # each flag: its variants, default, rollout
    accord flags check [--env E]                  # declarations against the files (exit 1)
    accord flags set KEY VARIANT --env E          # everyone gets VARIANT
    accord flags rollout KEY PERCENT --env E      # PERCENT % of customers get the flag

Files are ``<config>/<env>/flags.json`` (``$ACCORD_CONFIG_DIR``, default ``config``
beside ``accord.toml``; ``--env`` defaults to ``$ACCORD_ENV`` or ``dev``). An edit is
checked against flagd's schema before it is written, and written whole: running
services pick it up within a second. Bad input: one line on stderr, exit 1, nothing
written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from accord import project
from accord.cli.audit import record
from accord.errors import AccordError
from accord.flags.check import check_flags
from accord.flags.edit import rollout, set_variant
from accord.flags.files import (
    FlagFileError,
    config_dir,
    current_env,
    flags_file,
    read_flags,
    write_flags,
)

__all__ = ["register"]

flags_app = typer.Typer(
    name="flags",
    help="List, check and edit the feature flags of each environment.",
    no_args_is_help=True,
)

EnvOption = Annotated[
    str | None,
    typer.Option("--env", help="Environment (default: $ACCORD_ENV or dev).", show_default=False),
]
RequiredEnv = Annotated[str, typer.Option("--env", help="Environment whose file is edited.")]


def register(app: typer.Typer) -> None:
    """Add the ``flags`` group to the accord CLI."""
    from accord.cli import _help

    app.add_typer(flags_app, rich_help_panel=_help.OPERATE)


def _refuse(message: str) -> typer.Exit:
    typer.echo(f"accord: {message}", err=True)
    return typer.Exit(1)


def _path(env: str | None) -> Path:
    try:
        return flags_file(config_dir(), env or current_env())
    except FlagFileError as exc:
        raise _refuse(str(exc)) from None


def _summary(flag: dict[str, Any]) -> str:
    if flag.get("state") == "DISABLED":
        return "disabled (code defaults)"
    targeting = flag.get("targeting")
    if not targeting:
        return f"everyone: {flag.get('defaultVariant')}"
    split = targeting.get("fractional") if isinstance(targeting, dict) else None
    if isinstance(split, list) and all(isinstance(p, list) and len(p) == 2 for p in split):
        total = sum(p[1] for p in split if isinstance(p[1], int)) or 1
        return "fractional: " + ", ".join(f"{p[0]} {100 * p[1] / total:g}%" for p in split)
    return f"targeted, else {flag.get('defaultVariant')}"


@flags_app.command("list")
def list_command(env: EnvOption = None) -> None:
    """Each flag of an environment: its variants and who gets which.

    Example: accord flags list --env staging
    """
    path = _path(env)
    try:
        document = read_flags(path)
    except FlagFileError as exc:
        raise _refuse(str(exc)) from None
    typer.echo(f"# {path}")
    for key, flag in sorted(document.get("flags", {}).items()):
        variants = ", ".join(f"{k}={v!r}" for k, v in flag.get("variants", {}).items())
        typer.echo(f"{key:28} {_summary(flag):36} [{variants}]")


def _declared() -> list[Any]:
    try:
        return project.load().declared_flags()
    except AccordError as exc:
        raise _refuse(str(exc)) from None


@flags_app.command("check")
def check_command(env: EnvOption = None) -> None:
    """Fail when a declared flag is missing from a file, has another type there, or is
    past its expiry; warn about flags no code declares.

    Example: accord flags check
    """
    declared = _declared()
    folder = config_dir()
    envs = [_path(env).parent.name] if env is not None else None
    findings = check_flags(declared, folder, envs=envs)
    for finding in findings:
        typer.echo(str(finding), err=finding.severity == "error")
    errors = sum(1 for f in findings if f.severity == "error")
    if errors:
        raise _refuse(f"{errors} problem(s) with the feature flags")
    typer.echo(f"ok: {len(declared)} declared flag(s) in {folder}")


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _edit(
    env: str,
    change: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    action: str,
    key: str,
    what: dict[str, Any],
) -> Path:
    """Apply ``change`` to the file of ``env`` and record it in the audit trail: the
    flag, what was asked (``what``), the file's SHA-256 before and after, and the OS user."""
    path = _path(env)
    old = _digest(path)
    try:
        write_flags(path, change(read_flags(path)))
    except FlagFileError as exc:
        raise _refuse(str(exc)) from None
    details = {**what, "env": path.parent.name, "file": str(path), "old_sha256": old}
    record(action, target=key, details={**details, "new_sha256": _digest(path)})
    return path


@flags_app.command("set")
def set_command(
    key: Annotated[str, typer.Argument(help="The flag's key.")],
    variant: Annotated[str, typer.Argument(help="The variant everyone gets.")],
    env: RequiredEnv,
) -> None:
    """Give every caller one variant of a flag (drops any rollout).

    Example: accord flags set pause-orders on --env dev
    """
    path = _edit(
        env,
        lambda doc: set_variant(doc, key, variant),
        action="flags.set",
        key=key,
        what={"variant": variant},
    )
    typer.echo(f"{path}: {key} = {variant} for everyone")


def _percent(text: str) -> int:
    raw = text.strip().removesuffix("%")
    if not raw.isdigit() or int(raw) > 100:
        raise _refuse(f"PERCENT must be a whole number from 0 to 100, not {text!r}")
    return int(raw)


@flags_app.command("rollout")
def rollout_command(
    key: Annotated[str, typer.Argument(help="The flag's key.")],
    percent: Annotated[str, typer.Argument(help="Share of customers, 0 to 100.")],
    env: RequiredEnv,
    variant: Annotated[
        str | None,
        typer.Option("--variant", help="Variant rolled out (default: the 'true' one)."),
    ] = None,
) -> None:
    """Roll a variant out to PERCENT % of customers, sticky per customer (flagd's
    ``fractional``); the others keep the flag's default variant.

    Example: accord flags rollout strict-card-tokens 25 --env staging
    """
    share = _percent(percent)
    change = lambda doc: rollout(doc, key, share, variant=variant)  # noqa: E731
    asked = {"percent": share, "variant": variant or "true"}
    path = _edit(env, change, action="flags.rollout", key=key, what=asked)
    typer.echo(f"{path}: {key} rolled out to {share}% of customers")
