"""Printing for the CLI: rich tables for people, plain JSON (and nothing else) for scripts."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click
from rich.console import Console
from rich.text import Text

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


def console() -> Console:
    # Made per call so it writes to whatever sys.stdout is now (click's test runner swaps it).
    return Console(highlight=False)


def error_console() -> Console:
    return Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def status(value: str) -> str:
    """A status word coloured for rich markup."""
    style = STATUS_STYLES.get(value, "white")
    return f"[{style}]{value}[/{style}]"


def status_text(value: str) -> Text:
    """A status word coloured, as plain text that can sit next to user data."""
    return Text(value, style=STATUS_STYLES.get(value, "white"))


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"
