"""Help screens written for people: ``swx --help`` and ``swx <command> --help``.

Typer's own screens show its internals (``<bool>`` beside every flag, ``<list[Path]>``
beside an argument, ``{files}...`` in the usage line), and their look changes from one Typer
release to the next. swx renders its screens itself from what every click parameter has
(names, metavar, help, default, required), so they read the same whatever Typer is
installed::

    Usage: swx validate [OPTIONS] FILE...

      Validate documents: transport, syntax, schema and business rules.

    Arguments:
      FILE...          XML (WCO DM 3.6 too), JSON or UN/EDIFACT PAXLST files. [required]

    Options:
      -t, --type TYPE  Force the message type, e.g. customs.declaration/1.0.

A parameter without a ``metavar`` shows its name in capitals. The usage line of an error
("Missing argument ...") is the same one. Every command is declared with
``cls=SwxCommand``, the app with ``cls=SwxGroup``.
"""

import inspect
import io
import shutil
from typing import Any

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from typer.core import TyperCommand, TyperGroup

MAX_WIDTH = 100
"""Wider terminals still get lines a person can read in one sweep."""


def metavar_of(param: Any) -> str:
    """What stands for the parameter's value: its metavar, else its name in capitals."""
    label = str(param.metavar or (param.name or "value").upper())
    if param.param_type_name == "argument" and param.nargs != 1 and not label.endswith("..."):
        label += "..."
    return label


def usage_pieces(command: Any, ctx: Any) -> list[str]:
    pieces = ["[OPTIONS]"] if any(p.param_type_name == "option" for p in command.get_params(ctx)) else []
    for param in command.get_params(ctx):
        if param.param_type_name == "argument" and not getattr(param, "hidden", False):
            label = metavar_of(param)
            pieces.append(label if param.required else f"[{label}]")
    return pieces


def _default_of(param: Any) -> str | None:
    """The default worth showing: not for flags, nothing-defaults or hidden ones."""
    if getattr(param, "is_flag", False) or getattr(param, "show_default", True) is False:
        return None
    default = param.default
    if callable(default) or default is None or default in ((), []):
        return None
    return str(default)


def _option_label(param: Any) -> str:
    names = sorted(param.opts, key=lambda name: (name.startswith("--"), name))
    label = ", ".join(names)
    if param.secondary_opts:
        label += " / " + ", ".join(param.secondary_opts)
    if not getattr(param, "is_flag", False) and not getattr(param, "count", False):
        label += f" {metavar_of(param)}"
    return label


def _param_help(param: Any) -> str:
    text = " ".join((param.help or "").split())
    extras = []
    default = _default_of(param)
    if default is not None:
        extras.append(f"[default: {default}]")
    if param.required:
        extras.append("[required]")
    if getattr(param, "multiple", False):
        extras.append("[repeatable]")
    return " ".join([text, *extras]).strip()


def _paragraphs(text: str) -> list[str]:
    """The help text as paragraphs: lines joined, except in a block marked with ``\\b``
    (click's convention for text kept as written)."""
    found = []
    for block in inspect.cleandoc(text).partition("\f")[0].split("\n\n"):
        if block.startswith("\b"):
            found.append(block.removeprefix("\b").strip("\n"))
        elif block.strip():
            found.append(" ".join(block.split()))
    return found


def _rows(rows: list[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for label, text in rows:
        table.add_row(Text(label), Text(text))
    return table


def render_help(command: Any, ctx: Any) -> str:
    width = min(shutil.get_terminal_size((80, 24)).columns, MAX_WIDTH)
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, highlight=False, soft_wrap=False)
    usage = " ".join([ctx.command_path, *command.collect_usage_pieces(ctx)])
    console.print(Text(f"Usage: {usage}"))
    for paragraph in _paragraphs(command.help or ""):
        console.print()
        console.print(Padding(Text(paragraph), (0, 0, 0, 2)))
    if isinstance(command, TyperGroup):
        commands = [(name, command.get_command(ctx, name)) for name in command.list_commands(ctx)]
        rows = [(name, _first_sentence(sub)) for name, sub in commands if sub is not None and not sub.hidden]
        _section(console, "Commands", rows)
    params = [p for p in command.get_params(ctx) if not getattr(p, "hidden", False)]
    _section(console, "Arguments", [(metavar_of(p), _param_help(p)) for p in params
                                    if p.param_type_name == "argument"])
    _section(console, "Options", [(_option_label(p), _param_help(p)) for p in params
                                  if p.param_type_name == "option"])
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())


def _first_sentence(command: Any) -> str:
    if command.short_help:
        return " ".join(command.short_help.split())
    paragraphs = _paragraphs(command.help or "")
    return paragraphs[0] if paragraphs else ""


def _section(console: Console, title: str, rows: list[tuple[str, str]]) -> None:
    if not rows:
        return
    console.print()
    console.print(f"{title}:")
    console.print(Padding(_rows(rows), (0, 0, 0, 2)))


class SwxCommand(TyperCommand):
    """A command whose help and usage line are ``render_help``'s."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return usage_pieces(self, ctx)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        formatter.write(render_help(self, ctx))


class SwxGroup(TyperGroup):
    """The ``swx`` app: its command list and options as ``render_help`` shows them."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [*usage_pieces(self, ctx), "COMMAND [ARGS]..."]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        formatter.write(render_help(self, ctx))
