"""What a user can do with a server's database engines, databases and database users.

Every change is a job on the server; the rows say where each stands (DatabaseStatus). Input is
checked whole here first: a bad name, an engine not installed, a record a job is already working
on: ActionError, and nothing changes. A password is never a job argument: it waits in its user's
row, encrypted, until the job has set it."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from brokeforge.actions import ActionError, jobs
from brokeforge.databases.models import Database, DatabaseGrant, DatabaseUser, EngineRecord
from brokeforge.jobs.models import Job
from brokeforge.lib.enums import (
    DatabaseAccess,
    DatabaseEngine,
    DatabaseStatus,
    PackageName,
    PackageStatus,
    PackageType,
)
from brokeforge.packages import registry
from brokeforge.packages.services.databases import names
from brokeforge.servers.models import Server, ServerPackage

# Long enough for any passphrase, short enough to refuse a pasted file by mistake.
PASSWORD_MAX_CHARS = 256
GENERATED_PASSWORD_BYTES = 24  # 32 URL-safe characters


# -- engines ------------------------------------------------------------------------------------


def engine_row(server: Server, engine: DatabaseEngine) -> ServerPackage | None:
    return server.packages.filter(
        package_type=PackageType.DATABASE, package_name=PackageName.DATABASE_ENGINE, instance=engine.value
    ).first()


def engines(server: Server) -> dict[DatabaseEngine, ServerPackage | None]:
    """Each engine the panel offers, with its inventory row on this server (None: not installed)."""
    return {engine: engine_row(server, engine) for engine in DatabaseEngine}


def install_engine(server: Server, engine: str, user: Any = None) -> Job:
    chosen = _engine(engine)
    row = engine_row(server, chosen)
    if row is not None and row.status != PackageStatus.FAILED:
        raise ActionError(f"{chosen.label} is already {row.get_status_display().lower()} on {server.name}.")
    job_class = registry.service(PackageName.DATABASE_ENGINE).installer_job
    return jobs.dispatch(job_class, server, chosen.value, started_by=user)


def remove_engine(server: Server, engine: str, confirm: str | None = None, user: Any = None) -> Job:
    """Remove an engine (its data directory stays). While it holds databases, the user confirms by
    typing the server's name: a final backup first is the page's advice."""
    chosen = _installed(server, engine)
    held = databases(server).filter(engine=chosen).count()
    confirmed = confirm is not None and confirm == server.name
    if held and not confirmed:
        raise ActionError(
            f"{chosen.label} on {server.name} holds {held} database(s). Back them up first; to remove it "
            f"anyway, confirm with the server's name ({server.name})."
        )
    _check_idle(databases(server).filter(engine=chosen), users(server).filter(engine=chosen))
    job_class = registry.service(PackageName.DATABASE_ENGINE).remover_job
    assert job_class is not None
    return jobs.dispatch(job_class, server, chosen.value, confirmed, started_by=user)


def sync(server: Server, engine: str, user: Any = None) -> Job:
    """Read the engine's databases and users again from the server, and match the panel's list."""
    chosen = _installed(server, engine)
    job_class = registry.service(PackageName.DATABASE_SYNC).installer_job
    return jobs.dispatch(job_class, server, chosen.value, started_by=user)


def charsets(server: Server, engine: DatabaseEngine) -> tuple[list[str], list[str]]:
    """The character sets and collations the engine reported at install."""
    row = engine_row(server, engine)
    configuration = row.configuration if row is not None else {}
    return list(configuration.get("charsets", [])), [pair[0] for pair in configuration.get("collations", [])]


# -- databases ----------------------------------------------------------------------------------


def databases(server: Server) -> QuerySet[Database]:
    return server.databases.all()


def create_database(
    server: Server, engine: str, name: str, charset: str = "", collation: str = "", user: Any = None
) -> Database:
    chosen = _installed(server, engine)
    offered_charsets, offered_collations = charsets(server, chosen)
    try:
        fields = {
            "name": names.database_name(chosen, name.strip()),
            "charset": names.charset(charset.strip(), offered_charsets) if charset.strip() else "",
            "collation": (
                names.charset(collation.strip(), offered_collations, "collation") if collation.strip() else ""
            ),
        }
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    with transaction.atomic():
        try:
            database = Database.objects.create(server=server, engine=chosen, created_by=user, **fields)
        except IntegrityError:
            raise ActionError(f"{server.name} already has a {chosen.label} database called {name}.") from None
        _dispatch(PackageName.DATABASE, database, user)
    return database


def drop_database(database: Database, user: Any = None) -> Job:
    _check_idle([database])
    return _dispatch(PackageName.DATABASE, database, user, remove=True)


# -- users --------------------------------------------------------------------------------------


def users(server: Server) -> QuerySet[DatabaseUser]:
    return server.database_users.prefetch_related("grants__database")


def generate_password() -> str:
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def check_password(password: str) -> str:
    """Any password a person or a program may choose, exactly as given: quotes, `$`, backslashes,
    spaces and any script are all fine (it is hashed in the panel, never put in a command)."""
    if not password:
        raise ActionError("The password is empty.")
    if len(password) > PASSWORD_MAX_CHARS:
        raise ActionError(f"The password is longer than {PASSWORD_MAX_CHARS} characters.")
    if "\0" in password:
        raise ActionError("The password contains a NUL character, which no database client can send.")
    return password


def create_user(
    server: Server,
    engine: str,
    name: str,
    password: str,
    host: str = names.LOCALHOST,
    grants: dict[str, str] | None = None,
    user: Any = None,
) -> DatabaseUser:
    """A database user with its password and its grants ({database name: "ro" | "rw"})."""
    chosen = _installed(server, engine)
    try:
        fields = {"name": names.user_name(chosen, name.strip()), "host": names.user_host(host)}
        if chosen == DatabaseEngine.MARIADB:
            names.mysql_host(fields["host"])
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    wanted = _grants(server, chosen, grants or {})
    others = users(server).filter(engine=chosen, name=fields["name"])
    if chosen == DatabaseEngine.MARIADB:
        others = others.filter(host=fields["host"])
    if others.exists():
        # PostgreSQL roles have no host: one role per name, whatever host each was given.
        raise ActionError(f"{server.name} already has a {chosen.label} user {fields['name']}.")
    with transaction.atomic():
        account = DatabaseUser.objects.create(
            server=server, engine=chosen, password=check_password(password), created_by=user, **fields
        )
        DatabaseGrant.objects.bulk_create(
            DatabaseGrant(user=account, database=database, access=access) for database, access in wanted
        )
        _dispatch(PackageName.DATABASE_USER, account, user)
    return account


def change_password(account: DatabaseUser, password: str, user: Any = None) -> Job:
    _check_idle([account])
    with transaction.atomic():
        DatabaseUser.objects.filter(pk=account.pk).update(password=check_password(password))
        return _dispatch(PackageName.DATABASE_USER, account, user)


def grant(account: DatabaseUser, database_name: str, access: str, user: Any = None) -> Job:
    """Give the user `access` ("ro" or "rw") on one database, in place of what it had there."""
    _check_idle([account])
    ((database, level),) = _grants(account.server, DatabaseEngine(account.engine), {database_name: access})
    with transaction.atomic():
        DatabaseGrant.objects.update_or_create(user=account, database=database, defaults={"access": level})
        return _dispatch(PackageName.DATABASE_USER, account, user)


def revoke(account: DatabaseUser, database_name: str, user: Any = None) -> Job:
    """Take back everything the user may do in one database."""
    _check_idle([account])
    held = account.grants.filter(database__name=database_name)
    if not held.exists():
        raise ActionError(f"{account.account} has no grant on {database_name}.")
    with transaction.atomic():
        held.delete()
        return _dispatch(PackageName.DATABASE_USER, account, user)


def delete_user(account: DatabaseUser, user: Any = None) -> Job:
    _check_idle([account])
    return _dispatch(PackageName.DATABASE_USER, account, user, remove=True)


# -- shared -------------------------------------------------------------------------------------


def _engine(engine: str) -> DatabaseEngine:
    try:
        return DatabaseEngine.parse(engine)
    except ValueError as exc:
        raise ActionError(str(exc)) from None


def _installed(server: Server, engine: str) -> DatabaseEngine:
    chosen = _engine(engine)
    row = engine_row(server, chosen)
    if row is None or row.status != PackageStatus.INSTALLED:
        state = "not installed" if row is None else row.get_status_display().lower()
        raise ActionError(f"{chosen.label} is {state} on {server.name}: install it first.")
    return chosen


def _grants(server: Server, engine: DatabaseEngine, wanted: dict[str, str]) -> list[tuple[Database, str]]:
    found = {database.name: database for database in databases(server).filter(engine=engine)}
    result = []
    for name, access in wanted.items():
        if access not in DatabaseAccess.values:
            raise ActionError(f"Access to {name} must be ro (read-only) or rw (read-write), not {access!r}.")
        if name not in found:
            raise ActionError(f"{server.name} has no {engine.label} database called {name}.")
        if found[name].status != DatabaseStatus.READY:
            raise ActionError(f"The database {name} is {found[name].get_status_display().lower()}.")
        result.append((found[name], access))
    return result


def _check_idle(*groups: Any) -> None:
    """Refuse while a job works on one of the records (as the database has it now, not as the
    caller last read it)."""
    for group in groups:
        for record in group:
            record.refresh_from_db(fields=["status"])
            if record.is_busy:
                raise ActionError(f"{record} is {record.get_status_display().lower()}: wait for its job to end.")


def _dispatch(name: PackageName, record: EngineRecord, user: Any, *, remove: bool = False) -> Job:
    service = registry.service(name)
    job_class = service.remover_job if remove else service.installer_job
    assert job_class is not None
    status = DatabaseStatus.DROPPING if remove else DatabaseStatus.QUEUED
    job = jobs.dispatch(job_class, record.server, record.pk, started_by=user)
    type(record)._default_manager.filter(pk=record.pk).update(status=status, job_id=job.pk, error="")
    record.status, record.job_id = status, job.pk
    return job
