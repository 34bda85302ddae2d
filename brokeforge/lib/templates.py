"""Jinja2 environment for files we write to servers.

StrictUndefined: a missing variable is an error, never an empty string in a live config.
autoescape off: these are nginx/shell/ini files, not HTML. `shquote` quotes for the shell.
"""

from __future__ import annotations

import shlex
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from brokeforge.lib import sql


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("brokeforge.packages", "templates"),
        undefined=StrictUndefined,
        autoescape=False,  # noqa: S701 - config files and shell scripts, not HTML
        keep_trailing_newline=True,
    )
    env.filters["shquote"] = lambda value: shlex.quote(str(value))
    # SQL scripts for database servers: every name and value through these, never bare.
    env.filters["mysql_id"] = sql.mysql_identifier
    env.filters["mysql_str"] = sql.mysql_string
    env.filters["pg_id"] = sql.pg_identifier
    env.filters["pg_str"] = sql.pg_string
    env.filters["mysql_grant_db"] = sql.mysql_grant_database
    env.filters["psql_arg"] = sql.psql_argument
    return env


def render(template: str, /, **context: Any) -> str:
    return environment().get_template(template).render(**context)
