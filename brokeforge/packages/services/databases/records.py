"""The panel's rows of databases and users, kept true to the server: marked while a job changes
one, and matched to what the server lists (imported when found, forgotten when gone)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from brokeforge.databases.models import Database, DatabaseUser, EngineRecord
from brokeforge.lib.enums import DatabaseEngine, DatabaseStatus
from brokeforge.lib.redact import redact
from brokeforge.packages.base.runner import runner
from brokeforge.packages.services.databases import names
from brokeforge.servers.models import Server


def mark(record: EngineRecord, status: DatabaseStatus, error: str = "") -> None:
    record.status, record.error = status, error
    record.job_id = runner().job_id
    type(record)._default_manager.filter(pk=record.pk).update(
        status=status, error=error, job_id=record.job_id
    )


def forget(record: EngineRecord) -> None:
    """The server no longer has it: nor does the panel (a database's grants go with it)."""
    type(record)._default_manager.filter(pk=record.pk).delete()


def failing(record: EngineRecord, secrets: set[str], work: Callable[[], None]) -> None:
    """Run `work`; if it raises, the record says it failed, with the reason (secrets masked)."""
    try:
        work()
    except Exception as exc:
        mark(record, DatabaseStatus.FAILED, redact(str(exc) or type(exc).__name__, secrets))
        raise


def import_inventory(server: Server, engine: DatabaseEngine, inventory: dict[str, Any] | None) -> None:
    """Match the panel's rows to the databases and users the server lists: new ones are imported,
    ready ones the server no longer has are forgotten. Rows a job is working on stay as they are."""
    found = inventory or {}
    databases = {
        item["name"]: item
        for item in found.get("databases") or []
        if not names.is_system_database(engine, item["name"])
    }
    users = {
        (item["name"], item["host"]): item
        for item in found.get("users") or []
        if item["name"] and not names.is_system_user(engine, item["name"])
    }
    with transaction.atomic():
        _import_databases(server, engine, databases)
        _import_users(server, engine, users)


def _import_databases(server: Server, engine: DatabaseEngine, found: dict[str, dict[str, Any]]) -> None:
    rows = Database.objects.filter(server=server, engine=engine)
    rows.filter(status=DatabaseStatus.READY).exclude(name__in=list(found)).delete()
    known = set(rows.values_list("name", flat=True))
    for name, item in found.items():
        details = {"charset": item.get("charset") or "", "collation": item.get("collation") or ""}
        if name in known:
            rows.filter(name=name, status=DatabaseStatus.READY).update(**details)
        else:
            Database.objects.create(
                server=server, engine=engine, name=name, status=DatabaseStatus.READY, imported=True, **details
            )


def _import_users(
    server: Server, engine: DatabaseEngine, found: dict[tuple[str, str], dict[str, Any]]
) -> None:
    rows = DatabaseUser.objects.filter(server=server, engine=engine)
    # PostgreSQL roles have no host: a role is the panel's user of that name, whatever its host.
    by_name = engine == DatabaseEngine.POSTGRESQL
    found_keys = {name for name, _ in found} if by_name else set(found)
    for row in rows.filter(status=DatabaseStatus.READY):
        if (row.name if by_name else (row.name, row.host)) not in found_keys:
            row.delete()
    known = {row.name if by_name else (row.name, row.host) for row in rows}
    for name, host in found:
        if (name if by_name else (name, host)) not in known:
            DatabaseUser.objects.create(
                server=server, engine=engine, name=name, host=host, status=DatabaseStatus.READY, imported=True
            )
