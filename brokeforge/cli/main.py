"""The `brokeforge` command group, and the Django setup every command needs.

Subcommands are imported only when used, after Django is set up, so their modules can import
models at the top like the rest of the project.
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click

P = ParamSpec("P")
R = TypeVar("R")

COMMANDS = {
    "serve": "brokeforge.cli.serve:serve",
    "worker": "brokeforge.cli.serve:worker",
    "migrate": "brokeforge.cli.serve:migrate",
    "servers": "brokeforge.cli.servers:servers",
    "jobs": "brokeforge.cli.jobs:jobs",
    "sites": "brokeforge.cli.sites:sites",
    "ssl": "brokeforge.cli.sites.ssl:ssl",
    "firewall": "brokeforge.cli.firewall:firewall",
    "rotate-keys": "brokeforge.cli.keys:rotate_keys",
}


def setup_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokeforge.settings")
    django.setup()


def unapplied_migrations() -> list[str]:
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def needs_database(command: Callable[P, R]) -> Callable[P, R]:
    """Refuse to run on a database that is not migrated, with the fix in the message."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from django.db import DatabaseError

        try:
            pending = unapplied_migrations()
        except DatabaseError as exc:
            raise click.ClickException(f"Cannot reach the database: {exc}") from None
        if pending:
            raise click.ClickException(
                f"The database is not migrated ({len(pending)} migrations pending). "
                "Run `brokeforge migrate` (or start the panel with `brokeforge serve`) first."
            )
        return command(*args, **kwargs)

    return wrapper


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        setup_django()
        module_name, attribute = COMMANDS[cmd_name].split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup)
def cli() -> None:
    """BrokeForge: a control panel for the Linux servers you rent."""
