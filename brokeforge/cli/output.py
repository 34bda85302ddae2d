"""Printing for the CLI: rich tables for people, plain JSON (and nothing else) for scripts.

Much of what the CLI prints comes from servers (OS names, errors, command output) or from users
(server names, commands): none of it may act on the terminal. The console therefore reads no
markup and no emoji codes (`[/bold]` and `:x:` print as they are), and every string it renders
has its control characters (escape sequences, carriage returns, bidi overrides) shown as escapes.
Our own colours are styles on `Text` pieces (`text()`, `status_text()`), never markup.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, TypeVar

import click
from django.db.models import Model, QuerySet
from rich.console import Console
from rich.text import Text, TextType

# C0 and C1 controls but tab and newline, DEL, and the bidirectional overrides that reorder text.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")

STATUS_STYLES = {
    "succeeded": "green",
    "completed": "green",
    "connected": "green",
    "running": "cyan",
    "installing": "cyan",
    "queued": "yellow",
    "pending": "yellow",
    "failed": "red",
    "stalled": "red",
    "host_key_changed": "red",
}


M = TypeVar("M", bound=Model)


def find(records: QuerySet[M], pk: int, what: str, param_hint: str) -> M:
    """The record with id `pk`, or a usage error that names what was not found."""
    record = records.filter(pk=pk).first()
    if record is None:
        raise click.BadParameter(f"There is no {what} #{pk}.", param_hint=param_hint)
    return record


def printable(value: object) -> str:
    """`value` as text that cannot act on a terminal: each control character shown as an escape."""
    return _UNPRINTABLE.sub(lambda m: repr(m[0])[1:-1], str(value))


class SafeConsole(Console):
    """A console for text we did not write: no markup, no emoji codes, no control characters."""

    def __init__(self, **options: Any) -> None:
        super().__init__(highlight=False, markup=False, emoji=False, **options)

    def render_str(self, text: str, **options: Any) -> Text:
        return super().render_str(printable(text), **options)


def console() -> Console:
    # Made per call so it writes to whatever sys.stdout is now (click's test runner swaps it).
    return SafeConsole()


def error_console() -> Console:
    return SafeConsole(stderr=True)


def text(*parts: str | tuple[str, str] | Text) -> Text:
    """Text from plain pieces and (piece, style) pairs, every piece made printable."""
    pieces: list[TextType | tuple[str, str]] = []
    for part in parts:
        if isinstance(part, tuple):
            pieces.append((printable(part[0]), part[1]))
        elif isinstance(part, Text):
            pieces.append(part)
        else:
            pieces.append(printable(part))
    return Text.assemble(*pieces)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def status_text(value: str) -> Text:
    """A status word coloured, as plain text that can sit next to user data."""
    return Text(printable(value), style=STATUS_STYLES.get(value, "white"))


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"
