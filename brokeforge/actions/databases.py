"""What a user can do with a server's database engines, databases and database users.

Every change is a job on the server; the rows say where each stands (DatabaseStatus). Input is
checked whole here first: a bad name, an engine not installed, a record a job is already working
on: ActionError, and nothing changes. A password is never a job argument: it waits in its user's
row, encrypted, until the job has set it."""

from __future__ import annotations

import ipaddress
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from brokeforge.actions import ActionError, jobs
from brokeforge.databases.models import (
    Backup,
    BackupSchedule,
    Database,
    DatabaseGrant,
    DatabaseUser,
    EngineRecord,
    backup_file_name,
)
from brokeforge.jobs.models import Job, JobStatus
from brokeforge.jobs.queue import job_path
from brokeforge.lib import cron
from brokeforge.lib.enums import (
    BackupStatus,
    BackupTrigger,
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
    _check_no_engine_job(server, chosen)
    row = engine_row(server, chosen)
    if row is not None and row.status != PackageStatus.FAILED:
        raise ActionError(f"{chosen.label} is already {row.get_status_display().lower()} on {server.name}.")
    job_class = registry.service(PackageName.DATABASE_ENGINE).installer_job
    return jobs.dispatch(job_class, server, chosen.value, started_by=user)


def remove_engine(server: Server, engine: str, confirm: str | None = None, user: Any = None) -> Job:
    """Remove an engine (its data directory stays). While it holds databases, the user confirms by
    typing the server's name: a final backup first is the page's advice."""
    chosen = _installed(server, engine, PackageStatus.FAILED)
    _check_no_engine_job(server, chosen)
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
    _check_no_engine_job(server, chosen)
    job_class = registry.service(PackageName.DATABASE_SYNC).installer_job
    return jobs.dispatch(job_class, server, chosen.value, started_by=user)


def _check_collation_of(server: Server, engine: DatabaseEngine, charset: str, collation: str) -> None:
    """A collation belongs to one character set (a PostgreSQL locale to one encoding, or to
    any): the pair must be one the server reported, or it fails there."""
    if not (charset and collation):
        return
    row = engine_row(server, engine)
    pairs = row.configuration.get("collations", []) if row is not None else []
    owner = next((pair[1] for pair in pairs if pair[0] == collation), None)
    if owner not in (None, "", charset):
        raise ActionError(f"The collation {collation} is for the character set {owner}, not {charset}.")


def charsets(server: Server, engine: DatabaseEngine) -> tuple[list[str], list[str]]:
    """The character sets and collations the engine reported at install."""
    row = engine_row(server, engine)
    configuration = row.configuration if row is not None else {}
    return list(configuration.get("charsets", [])), [pair[0] for pair in configuration.get("collations", [])]


def remote_sources(server: Server, engine: DatabaseEngine) -> list[str]:
    """Where the engine's remote clients may connect from (none: this server only)."""
    row = engine_row(server, engine)
    return list(row.configuration.get("remote_access", {}).get("sources", [])) if row else []


def set_remote_access(server: Server, engine: str, sources: list[str], user: Any = None) -> Job:
    """Let remote clients reach the engine from `sources` (addresses or networks) only, through
    the firewall; none: listening on this server only again, the firewall closed."""
    chosen = _installed(server, engine)
    checked = []
    for source in sources:
        try:
            network = ipaddress.ip_network(source.strip(), strict=False)
        except ValueError:
            raise ActionError(f"{source!r} is not an IP address or network (such as 10.0.0.0/24).") from None
        if str(network) not in checked:
            checked.append(str(network))
    job_class = registry.service(PackageName.DATABASE_ACCESS).installer_job
    return jobs.dispatch(job_class, server, chosen.value, ",".join(checked), started_by=user)


# -- databases ----------------------------------------------------------------------------------


def databases(server: Server) -> QuerySet[Database]:
    return server.databases.all()


def create_database(
    server: Server, engine: str, name: str, charset: str = "", collation: str = "", user: Any = None
) -> Database:
    chosen = _installed(server, engine)
    offered_charsets, offered_collations = charsets(server, chosen)
    try:
        checked_charset = names.charset(charset.strip(), offered_charsets) if charset.strip() else ""
        checked_collation = (
            names.charset(collation.strip(), offered_collations, "collation") if collation.strip() else ""
        )
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    _check_collation_of(server, chosen, checked_charset, checked_collation)
    with transaction.atomic():
        database = create_database_row(server, chosen, name.strip(), user, checked_charset, checked_collation)
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


# -- backups ------------------------------------------------------------------------------------

# A scheduled backup not started this long after it was due is flagged as missed.
MISSED_AFTER = timedelta(minutes=30)
MAX_KEEP = 365


def backups(database: Database) -> QuerySet[Backup]:
    return Backup.objects.filter(
        server=database.server_id, engine=database.engine, database_name=database.name
    ).order_by("-id")


def server_backups(server: Server) -> QuerySet[Backup]:
    return server.database_backups.order_by("-id")


def backup(database: Database, user: Any = None, trigger: BackupTrigger = BackupTrigger.MANUAL) -> Backup:
    """Queue a backup of the database now."""
    if database.status != DatabaseStatus.READY:
        raise ActionError(f"The database {database.name} is {database.get_status_display().lower()}.")
    with transaction.atomic():
        taken = _new_backup(database, user, trigger)
        job_class = registry.service(PackageName.DATABASE_BACKUP).installer_job
        _backup_job(taken, jobs.dispatch(job_class, database.server, taken.pk, started_by=user))
    return taken


def restore(taken: Backup, into: str | None = None, user: Any = None) -> Job:
    """Restore a backup into the database it came from (backed up first, in the same job: the
    undo), or into a new database `into` on the same server."""
    if taken.status != BackupStatus.SUCCEEDED:
        raise ActionError(f"Backup #{taken.pk} did not succeed: there is nothing to restore.")
    server = taken.server
    engine = _installed(server, taken.engine)
    target_name = (into or "").strip() or taken.database_name
    existing = databases(server).filter(engine=engine, name=target_name).first()
    job_class = registry.service(PackageName.DATABASE_RESTORE).installer_job
    with transaction.atomic():
        if existing is None:
            if not into:
                raise ActionError(
                    f"The database {target_name} is no longer on {server.name}: "
                    "restore into a new one (give a name)."
                )
            target = create_database_row(server, engine, target_name, user)
            arguments: list[Any] = [taken.pk, target.pk, True, None]
        else:
            _check_idle([existing])
            if existing.status != DatabaseStatus.READY:
                raise ActionError(f"The database {target_name} is {existing.get_status_display().lower()}.")
            target = existing
            safety = _new_backup(existing, user, BackupTrigger.RESTORE)
            arguments = [taken.pk, target.pk, False, safety.pk]
        job = jobs.dispatch(job_class, server, *arguments, started_by=user)
        Database.objects.filter(pk=target.pk).update(status=DatabaseStatus.QUEUED, job_id=job.pk, error="")
        if arguments[3] is not None:
            Backup.objects.filter(pk=arguments[3]).update(job_id=job.pk)
    return job


def schedule_backups(database: Database, expression: str, keep: int, user: Any = None) -> BackupSchedule:
    """Back the database up by itself on a cron schedule (or a preset: hourly, daily, weekly,
    monthly), keeping the newest `keep` backups."""
    try:
        parsed = cron.parse(expression)
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    if not 1 <= keep <= MAX_KEEP:
        raise ActionError(f"Keep between 1 and {MAX_KEEP} backups, not {keep}.")
    (next_run,) = cron.next_runs(parsed, timezone.now(), 1)
    schedule, _created = BackupSchedule.objects.update_or_create(
        database=database,
        defaults={"cron": parsed.expression, "keep": keep, "next_run_at": next_run, "created_by": user},
    )
    return schedule


def unschedule_backups(database: Database) -> None:
    BackupSchedule.objects.filter(database=database).delete()


def next_backups(schedule: BackupSchedule, count: int = 3) -> list[datetime]:
    return cron.next_runs(cron.parse(schedule.cron), timezone.now(), count)


def backup_problems(database: Database, now: datetime | None = None) -> list[str]:
    """What needs the user's attention about a database's backups, as sentences: the last one
    failed; a scheduled one that did not run when it was due."""
    now = now or timezone.now()
    found = []
    last = backups(database).exclude(trigger=BackupTrigger.RESTORE).first()
    if last is not None and last.status == BackupStatus.FAILED:
        found.append(f"its last backup failed: {last.error or 'see its job'}")
    schedule = BackupSchedule.objects.filter(database=database).first()
    if schedule is not None:
        due = cron.previous_run(cron.parse(schedule.cron), now - MISSED_AFTER)
        if (
            due is not None
            and due >= schedule.created_at
            and not backups(database).filter(created_at__gte=due).exists()
        ):
            found.append(f"the backup due at {due:%Y-%m-%d %H:%M} UTC did not run")
    return found


def create_database_row(
    server: Server, engine: DatabaseEngine, name: str, user: Any, charset: str = "", collation: str = ""
) -> Database:
    """The record of a database about to be made (by a create, or a restore into a new one)."""
    try:
        checked = names.database_name(engine, name)
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    try:
        with transaction.atomic():
            return Database.objects.create(
                server=server,
                engine=engine,
                name=checked,
                charset=charset,
                collation=collation,
                created_by=user,
            )
    except IntegrityError:
        raise ActionError(f"{server.name} already has a {engine.label} database called {name}.") from None


def _new_backup(database: Database, user: Any, trigger: BackupTrigger) -> Backup:
    taken = Backup.objects.create(
        server=database.server,
        database=database,
        engine=database.engine,
        database_name=database.name,
        trigger=trigger,
        created_by=user,
    )
    taken.file_name = backup_file_name(taken, timezone.now())
    taken.save(update_fields=["file_name"])
    return taken


def _backup_job(taken: Backup, job: Job) -> None:
    Backup.objects.filter(pk=taken.pk).update(job_id=job.pk)
    taken.job_id = job.pk


# -- shared -------------------------------------------------------------------------------------


def _engine(engine: str) -> DatabaseEngine:
    try:
        return DatabaseEngine.parse(engine)
    except ValueError as exc:
        raise ActionError(str(exc)) from None


def _installed(server: Server, engine: str, *also: PackageStatus) -> DatabaseEngine:
    """The engine, if it is installed on the server (or in one of the statuses `also`)."""
    chosen = _engine(engine)
    row = engine_row(server, chosen)
    if row is None or row.status not in (PackageStatus.INSTALLED, *also):
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


def _check_no_engine_job(server: Server, engine: DatabaseEngine) -> None:
    """One job at a time on an engine itself (install, remove, import, remote access): a double
    click queues one, not two."""
    kinds = [
        job_path(job_class)
        for name in (PackageName.DATABASE_ENGINE, PackageName.DATABASE_SYNC, PackageName.DATABASE_ACCESS)
        for job_class in (registry.service(name).installer_job, registry.service(name).remover_job)
        if job_class is not None
    ]
    pending = Job.objects.filter(server=server, kind__in=kinds, status__in=JobStatus.active())
    for job in pending:
        if job.arguments and job.arguments[0] == engine.value:
            raise ActionError(
                f"{job.label} is {job.get_status_display().lower()} (job #{job.pk}): wait for it to end."
            )


def _check_idle(*groups: Any) -> None:
    """Refuse while a job works on one of the records (as the database has it now, not as the
    caller last read it)."""
    for group in groups:
        for record in group:
            record.refresh_from_db(fields=["status"])
            if record.is_busy:
                raise ActionError(
                    f"The {record.label} is {record.get_status_display().lower()}: wait for its job to end."
                )


def _dispatch(name: PackageName, record: EngineRecord, user: Any, *, remove: bool = False) -> Job:
    service = registry.service(name)
    job_class = service.remover_job if remove else service.installer_job
    assert job_class is not None
    status = DatabaseStatus.DROPPING if remove else DatabaseStatus.QUEUED
    job = jobs.dispatch(job_class, record.server, record.pk, started_by=user)
    type(record)._default_manager.filter(pk=record.pk).update(status=status, job_id=job.pk, error="")
    record.status, record.job_id = status, job.pk
    return job
