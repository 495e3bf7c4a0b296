"""How the `council` command line parses its values and writes its help, with typer alone.

Kept apart from cli.py (the commands) and as light as cli.py: `council --help` and `council sql`
are run all day and must not import more than typer.
"""

from __future__ import annotations

import typing
from enum import Enum
from pathlib import Path
from typing import Any

import typer
import typer.core

# What `council --help` and `council sql` must never import (the parsers, the PDF stack, pydantic,
# Arrow, rich's renderers): checked by tests/integration/test_cli_sql.py, reported by
# bench/startup_bench.py.
HEAVY_MODULES = (
    "pydantic",
    "pyarrow",
    "rich",
    "pdfplumber",
    "pypdfium2",
    "pdfminer",
    "rapidfuzz",
    "schemas",
    "pipeline.store",
)

try:
    from typer._coercion import RuntimeParam
except ImportError:  # a typer that converts values its own way: nothing to speed up
    RuntimeParam = None  # type: ignore[assignment,misc]


def _plain_type(annotation: Any) -> Any:
    """`int` of `int`, `Path | None` → Path; None for any annotation that is not one plain type."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    base = args[0] if len(args) == 1 and typing.get_origin(annotation) is not None else annotation
    if base in (str, int, float, bool, Path) or (isinstance(base, type) and issubclass(base, Enum)):
        return base
    return None


def _convert(base: Any, value: Any) -> Any:
    """A command-line string as the plain type `base`, as typer would convert it; ValueError if it is not one."""
    if isinstance(value, base):
        return value
    if base is Path:
        return Path(value)
    if isinstance(base, type) and issubclass(base, Enum):
        for member in base:
            if member.value == value:
                return member
        choices = ", ".join(f"'{m.value}'" for m in base)
        raise ValueError(f"'{value}' is not one of {choices}.")
    try:
        return base(value)
    except (TypeError, ValueError):
        kind = {int: "an integer", float: "a number"}.get(base, base.__name__)
        raise ValueError(f"'{value}' is not {kind}.") from None


if RuntimeParam is not None:

    class _PlainValue(RuntimeParam):
        """Conversion of a plain-typed parameter without pydantic.

        Typer 0.29 converts every value through a pydantic TypeAdapter built at the first call, which
        imports pydantic and costs more than the rest of `council sql`'s start-up. Every parameter of
        this CLI is one plain type (str, int, float, bool, Path, an Enum, or one of these or None),
        which _convert handles as typer would. A typer that stops reading `_runtime_param` falls
        back to its own conversion: slower, the same values.
        """

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                return _convert(_plain_type(self.annotation), value)
            except ValueError as exc:
                raise typer.BadParameter(str(exc), ctx=ctx, param=param) from None


class PlainValues:
    """Installs _PlainValue on every parameter (the --help flag included) before typer converts them."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if RuntimeParam is not None:
            for param in self.get_params(ctx):  # type: ignore[attr-defined]
                descriptor = getattr(param, "type_descriptor", None)
                if descriptor is not None and _plain_type(descriptor.annotation) is not None:
                    param._runtime_param = _PlainValue(descriptor.parameter_info, descriptor.annotation)
        return super().parse_args(ctx, args)  # type: ignore[misc]


class Group(PlainValues, typer.core.TyperGroup):
    pass


class Command(PlainValues, typer.core.TyperCommand):
    """Help written the way the README writes commands: `--db PATH`, a required argument bare
    (`QUERY`), an optional one in brackets, a flag without a value, every default shown. Typer's
    own help shows type placeholders (`--json <bool>`, `{file}`) and leaves a None default out."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = param.metavar or (param.name or "").upper()
                pieces.append(name if param.required else f"[{name}]")
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        sections: dict[str, list[tuple[str, str]]] = {"Arguments": [], "Options": []}
        for param in self.get_params(ctx):
            if getattr(param, "hidden", False):
                continue
            if param.param_type_name == "argument":
                name = param.metavar or (param.name or "").upper()
                section = "Arguments"
            else:
                name = ", ".join(param.opts)
                if not getattr(param, "is_flag", False):
                    name += f" {param.metavar or 'VALUE'}"
                section = "Options"
            notes = []
            if param.required:
                notes.append("required")
            elif not getattr(param, "is_flag", False) and param.default is not None:
                notes.append(f"default: {_shown(param.default)}")
            elif param.name in _LIMIT_DEFAULTS:
                from pipeline.rules import limits

                notes.append(f"default: {_shown(limits()[_LIMIT_DEFAULTS[param.name]])}")
            text = getattr(param, "help", None) or ""
            sections[section].append((name, f"{text}  [{'; '.join(notes)}]" if notes else text))
        for title, rows in sections.items():
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


# Options whose default is a value of rules/limits.toml: read when help is shown, not at every start.
_LIMIT_DEFAULTS = {"timeout": "timeout_seconds"}


def _shown(value: Any) -> str:
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
