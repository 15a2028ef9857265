"""How ``accord``'s help reads: panels, plain flags, argument names in capitals.

Every command and group of the CLI is built with :class:`Command` or :class:`Group`
(:func:`apply` sets them on a Typer app after registration), which

- show a boolean flag as a flag (``--raw``), with no ``<bool>`` placeholder;
- name arguments in capitals, without braces (``BASE REVISION``, ``MODULE:FACTORY``);
- reflow each paragraph of a docstring to the terminal's width, instead of keeping the
  source's line breaks (which cut sentences in a narrow terminal).

Commands are listed in four panels, in this order.
"""

from __future__ import annotations

import inspect
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

__all__ = ["CONTRACTS", "OPERATE", "RUN", "SECURITY", "Command", "Group", "apply"]

RUN = "Run"
CONTRACTS = "Contracts"
OPERATE = "Operate"
SECURITY = "Security"


def _plain(params: list[Any]) -> list[Any]:
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
        elif isinstance(param, TyperArgument) and param.metavar is None:
            param.metavar = (param.name or "").upper()
    return params


def reflow(text: str | None) -> str | None:
    """Each paragraph of ``text`` on one line (Rich wraps it); blank lines kept."""
    if not text:
        return text
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def _usage(command: Any, ctx: Any) -> list[str]:
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if isinstance(param, TyperArgument):
            name = param.display_name_raw + ("..." if param.nargs != 1 else "")
            pieces.append(name if param.required else f"[{name}]")
        else:
            pieces.extend(param.get_usage_pieces(ctx))
    return pieces


class Command(TyperCommand):
    """A Typer command whose help shows plain flags and capitalised arguments."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """The help, its paragraphs reflowed."""
        self.help = reflow(self.help)
        super().format_help(ctx, formatter)

    def get_params(self, ctx: Any) -> list[Any]:
        """The parameters, their help placeholders made plain."""
        return _plain(super().get_params(ctx))

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        """``[OPTIONS] BASE REVISION``: arguments without braces."""
        return _usage(self, ctx)


class Group(TyperGroup):
    """A Typer group whose help shows plain flags."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """The help, its paragraphs reflowed."""
        self.help = reflow(self.help)
        super().format_help(ctx, formatter)

    def get_params(self, ctx: Any) -> list[Any]:
        """The parameters, their help placeholders made plain."""
        return _plain(super().get_params(ctx))


def apply(app: typer.Typer) -> None:
    """Build every command of ``app`` (and of its groups) with :class:`Command`."""
    app.info.cls = Group
    for command in app.registered_commands:
        if command.cls is None or command.cls is TyperCommand:
            command.cls = Command
    for group in app.registered_groups:
        if group.typer_instance is not None:
            apply(group.typer_instance)
