"""The models and their migrations agree, and the apps' migrations depend on each other one way."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader

OURS = ("servers", "sites", "jobs")


@pytest.mark.django_db
def test_no_model_change_lacks_its_migration() -> None:
    out = io.StringIO()
    call_command("makemigrations", *OURS, "--check", "--dry-run", stdout=out)


def test_our_apps_migrations_form_no_cycle() -> None:
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    depends_on: dict[str, set[str]] = {app: set() for app in OURS}
    for (app, _name), node in graph.node_map.items():
        if app in OURS:
            depends_on[app] |= {parent.key[0] for parent in node.parents if parent.key[0] in OURS} - {app}
    assert depends_on == {"servers": set(), "sites": {"servers"}, "jobs": {"servers", "sites"}}
