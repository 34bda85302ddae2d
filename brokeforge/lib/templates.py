"""Jinja2 environment for files we write to servers.

StrictUndefined: a missing variable is an error, never an empty string in a live config.
autoescape off: these are nginx/shell/ini files, not HTML. `shquote` quotes for the shell.
"""

from __future__ import annotations

import shlex
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("brokeforge.packages", "templates"),
        undefined=StrictUndefined,
        autoescape=False,  # noqa: S701 - config files and shell scripts, not HTML
        keep_trailing_newline=True,
    )
    env.filters["shquote"] = lambda value: shlex.quote(str(value))
    return env


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
