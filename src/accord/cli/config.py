"""``accord config``: the settings of the project's services, per environment.

::

    accord config show SERVICE [--env E]        # every value and where it came from
    accord config validate [--env E]            # every file of every service: file:line: key: …
    accord config diff ENV_A ENV_B              # per service and key, what differs
    accord config promote FROM TO [--service S] # FROM's values into TO's files, pinned kept
    accord config schemas [--check]             # config/schemas/<service>.v<major>.json

The services are those ``accord.toml`` lists with a ``settings`` class; the folder is
``$ACCORD_CONFIG_DIR``, else ``config`` beside ``accord.toml``. Values here come from the
files and defaults only (the command's own environment variables are not mixed in).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer

from accord.cli.exits import fail
from accord.errors import AccordError

__all__ = ["register"]

config_app = typer.Typer(
    name="config",
    help="Show, validate, compare and promote the services' settings per environment.",
    no_args_is_help=True,
)

_ENV = typer.Option(None, "--env", help="The environment (default $ACCORD_ENV, else dev).")


@config_app.command("show")
def show_command(
    service: str = typer.Argument(..., help="A service of accord.toml."),
    env: str | None = _ENV,
) -> None:
    """Print every effective value of SERVICE and its source, secrets masked.

    Example: accord config show orders --env staging
    """
    from rich.console import Console
    from rich.table import Table

    from accord.config.load import load, values_of
    from accord.config.secrets import mask

    classes, layout = _context(env)
    cls = _one(classes, service)
    loaded = _attempt(lambda: load(cls, service, layout, {}))
    values = values_of(loaded.settings, loaded.specs)
    table = Table(
        title=f"{service} in {layout.env}: schema {loaded.version}, hash {loaded.hash}",
        title_justify="left",
    )
    for column in ("key", "value", "source", "flags"):
        table.add_column(column)
    for key, spec in loaded.specs.items():
        value = mask(values[key]) if spec.secret else _shown_value(values[key])
        flags = ", ".join(
            f for f, on in (("reloadable", spec.reloadable), ("pinned", spec.pinned)) if on
        )
        table.add_row(key, value, _shown(loaded.sources[key]), flags)
    Console(highlight=False, width=200).print(table)


@config_app.command("validate")
def validate_command(env: str | None = _ENV) -> None:
    """Check every file of every service; one line per problem, exit 1 on any.

    Example: accord config validate --env prod
    """
    from accord.config.validate import validate

    classes, layout = _context(env)
    envs = [layout.env] if env is not None else layout.environments()
    if env is not None:
        _attempt(layout.check)
    problems = _attempt(lambda: validate(classes, layout, envs))
    for problem in problems:
        typer.echo(_shown(str(problem)))
    if problems:
        raise fail(f"{len(problems)} problem(s) in {_shown(str(layout.root))}", code=1)
    typer.echo(f"valid: {len(classes)} service(s) in {', '.join(envs) or 'no environment'}")


@config_app.command("diff")
def diff_command(
    env_a: str = typer.Argument(..., help="An environment."),
    env_b: str = typer.Argument(..., help="Another environment."),
) -> None:
    """Per service and key, the values that differ between ENV_A and ENV_B.

    Example: accord config diff staging prod
    """
    from accord.config.load import load, values_of

    classes, layout = _context(env_a)
    first, second = layout.with_env(env_a), layout.with_env(env_b)
    differ = 0
    for service, cls in classes.items():
        a = _attempt(lambda c=cls, s=service: load(c, s, first, {}))
        b = _attempt(lambda c=cls, s=service: load(c, s, second, {}))
        va, vb = values_of(a.settings, a.specs), values_of(b.settings, b.specs)
        for key in a.specs:
            if va[key] != vb[key]:
                differ += 1
                typer.echo(
                    f"{service}: {key}: {_shown_value(va[key])} ({env_a}) → "
                    f"{_shown_value(vb[key])} ({env_b})"
                )
    if not differ:
        typer.echo(f"{env_a} and {env_b} have the same settings")


@config_app.command("promote")
def promote_command(
    source: str = typer.Argument(..., metavar="FROM", help="The environment to promote."),
    target: str = typer.Argument(..., metavar="TO", help="The environment to write."),
    service: str | None = typer.Option(None, "--service", help="Only this service."),
) -> None:
    """Write FROM's values into TO's files, leaving TO's pinned keys alone.

    Nothing is written unless every promoted file validates; review and commit the change.

    Example: accord config promote staging prod --service orders
    """
    from accord.config.load import load
    from accord.config.promote import plan

    classes, layout = _context(source)
    chosen = {service: _one(classes, service)} if service else classes
    src, dst = layout.with_env(source), layout.with_env(target)
    _attempt(src.check)
    _attempt(dst.check)
    plans = [_attempt(lambda c=cls, s=name: plan(c, s, src, dst)) for name, cls in chosen.items()]
    originals: dict[Path, str | None] = {}
    for p in plans:
        originals[p.path] = p.path.read_text(encoding="utf-8") if p.path.exists() else None
        p.path.write_text(p.text, encoding="utf-8")
    try:
        for name, cls in chosen.items():
            load(cls, name, dst, {})
    except AccordError as exc:
        for path, text in originals.items():  # put every file back as it was
            if text is None:
                path.unlink()
            else:
                path.write_text(text, encoding="utf-8")
        raise fail(_shown(_one_line(exc)), code=1) from None
    for p in plans:
        typer.echo(f"{'wrote' if p.changed else 'unchanged:'} {_shown(str(p.path))}")


@config_app.command("schemas")
def schemas_command(
    check: bool = typer.Option(
        False, "--check", help="Write nothing; exit 1 if a schema differs from the code."
    ),
) -> None:
    """Write config/schemas/<service>.v<major>.json from the settings classes.

    Example: accord config schemas --check
    """
    from accord.config.schema import filename, render

    classes, layout = _context(None)
    folder = layout.schemas()
    stale: list[Path] = []
    for service, cls in classes.items():
        path = folder / filename(service, cls)
        data = render(service, cls)
        if path.exists() and path.read_bytes() == data:
            continue
        stale.append(path)
        if not check:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            typer.echo(f"wrote {_shown(str(path))}")
    if check and stale:
        for path in stale:
            typer.echo(f"{'differs' if path.exists() else 'missing'}: {_shown(str(path))}")
        raise fail(f"{len(stale)} schema(s) out of date; run `accord config schemas`", code=1)
    if not stale:
        typer.echo(f"up to date: {len(classes)} schema(s) in {_shown(str(folder))}")


def register(app: typer.Typer) -> None:
    """Add ``accord config`` to the accord CLI."""
    from accord.cli import _help

    app.add_typer(config_app, name="config", rich_help_panel=_help.OPERATE)


# -- helpers ---------------------------------------------------------------------------


def _context(env: str | None) -> tuple[dict[str, type[Any]], Any]:
    """The settings class of each service, and the layout for ``env``."""
    from accord.config.files import Layout
    from accord.project import import_object, load

    try:
        project = load()
    except AccordError as exc:
        raise fail(_one_line(exc)) from None
    if str(project.root) not in sys.path:
        sys.path.insert(0, str(project.root))
    classes: dict[str, type[Any]] = {}
    for name, spec in project.services.items():
        if spec.settings:
            try:
                classes[name] = import_object(spec.settings)
            except AccordError as exc:
                raise fail(_one_line(exc)) from None
    layout = Layout.from_env(start=project.root)
    if env is not None:
        layout = layout.with_env(env)
    return classes, layout


def _one(classes: dict[str, type[Any]], service: str) -> type[Any]:
    if service not in classes:
        known = ", ".join(sorted(classes)) or "none"
        raise fail(f"no service {service!r} with settings in accord.toml (known: {known})")
    return classes[service]


def _attempt(action: Any) -> Any:
    try:
        return action()
    except AccordError as exc:
        raise fail(_shown(_one_line(exc)), code=1) from None


def _shown_value(value: Any) -> str:
    import msgspec

    return msgspec.json.encode(value).decode() if not isinstance(value, str) else repr(value)


def _shown(text: str) -> str:
    """Paths under the working folder written relative to it."""
    cwd = str(Path.cwd()) + os.sep
    return text.replace(cwd, "")


def _one_line(exc: BaseException) -> str:
    return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
