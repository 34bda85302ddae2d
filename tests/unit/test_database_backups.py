"""A backup's copy in the panel is the file the server made (checked against its checksum), the
oldest beyond the number kept go from both places, schedules queue backups once per due time,
and what went wrong (a failed backup, a scheduled one that did not run) is said."""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from brokeforge.actions import databases as actions
from brokeforge.databases.models import Backup, BackupSchedule, Database
from brokeforge.jobs import periodic
from brokeforge.jobs.models import Job
from brokeforge.lib.enums import BackupStatus, BackupTrigger, DatabaseStatus
from brokeforge.packages.base.runner import current_runner
from brokeforge.packages.services.databases.backup.installer import DatabaseBackupInstaller, dump_script
from brokeforge.servers.models import Server
from tests.unit.helpers import TableRunner

DUMP = b"\x1f\x8b compressed dump of shop"


@pytest.fixture
def shop(server: Server) -> Database:
    return Database.objects.create(server=server, engine="mariadb", name="shop", status=DatabaseStatus.READY)


def new_backup(database: Database, **fields: object) -> Backup:
    backup = Backup.objects.create(
        server=database.server,
        database=database,
        engine=database.engine,
        database_name=database.name,
        **fields,
    )
    backup.file_name = f"2026-{backup.pk}.sql.gz"
    backup.save()
    return backup


def serve(
    backup: Backup, served: bytes, reported: bytes = DUMP, also: tuple[str, ...] = ()
) -> Iterator[TableRunner]:
    """A server whose dump of `backup` reports the checksum of `reported` and whose file holds
    `served`; the commands `also` succeed there too."""
    line = f"bash -c {shlex.quote(dump_script(backup))}"
    answer = f"size={len(reported)}\nsha256={hashlib.sha256(reported).hexdigest()}\n"
    table = TableRunner({line: answer, **dict.fromkeys(also, "")}, files={backup.remote_path: served})
    token = current_runner.set(table)
    yield table
    current_runner.reset(token)


def test_the_copy_in_the_panel_is_the_file_the_server_made(shop: Database) -> None:
    backup = new_backup(shop)
    for _table in serve(backup, DUMP):
        DatabaseBackupInstaller(shop.server).execute(backup)
    backup.refresh_from_db()
    assert backup.status == BackupStatus.SUCCEEDED and backup.size_bytes == len(DUMP)
    assert backup.local_path.read_bytes() == DUMP
    assert oct(backup.local_path.stat().st_mode & 0o777) == "0o600"


def test_a_copy_that_does_not_match_the_servers_checksum_fails_the_backup(shop: Database) -> None:
    backup = new_backup(shop)
    for _table in serve(backup, served=b"truncated"):
        with pytest.raises(Exception, match="does not match the server's checksum"):
            DatabaseBackupInstaller(shop.server).execute(backup)
    backup.refresh_from_db()
    assert backup.status == BackupStatus.FAILED and "checksum" in backup.error
    assert not backup.local_path.exists()
    assert list(backup.local_path.parent.iterdir()) == []  # no partial copy left behind


def test_the_oldest_backups_beyond_the_number_kept_go_from_the_server_and_the_panel(shop: Database) -> None:
    old = [new_backup(shop, status=BackupStatus.SUCCEEDED) for _ in range(3)]
    for backup in old:
        backup.local_path.parent.mkdir(parents=True, exist_ok=True)
        backup.local_path.write_bytes(b"old")
    failed = new_backup(shop, status=BackupStatus.FAILED)
    BackupSchedule.objects.create(database=shop, cron="0 3 * * *", keep=2, next_run_at=timezone.now())
    backup = new_backup(shop)
    removal = "rm -f -- " + " ".join(shlex.quote(b.remote_path) for b in [old[1], old[0]])
    for table in serve(backup, DUMP, also=(removal,)):
        DatabaseBackupInstaller(shop.server).execute(backup)
        assert removal in table.commands
    assert set(Backup.objects.values_list("pk", flat=True)) == {old[2].pk, failed.pk, backup.pk}
    assert not old[0].local_path.exists() and old[2].local_path.exists()


def test_a_due_schedule_queues_one_backup_and_moves_to_its_next_run(shop: Database) -> None:
    due = timezone.now() - timedelta(minutes=5)
    schedule = BackupSchedule.objects.create(database=shop, cron="*/10 * * * *", keep=3, next_run_at=due)
    (backup_id,) = periodic.check_due_backups()
    assert periodic.check_due_backups() == []  # claimed: a second pass (another worker) queues nothing
    backup = Backup.objects.get(pk=backup_id)
    assert backup.trigger == BackupTrigger.SCHEDULE and backup.file_name.endswith(f"-{backup.pk}.sql.gz")
    assert Job.objects.get(pk=backup.job_id).arguments == [backup.pk]
    schedule.refresh_from_db()
    assert schedule.next_run_at > timezone.now() and schedule.next_run_at.minute % 10 == 0


def test_a_database_being_changed_is_not_backed_up_by_its_schedule(shop: Database) -> None:
    Database.objects.filter(pk=shop.pk).update(status=DatabaseStatus.APPLYING)
    BackupSchedule.objects.create(database=shop, cron="* * * * *", keep=3, next_run_at=timezone.now())
    assert periodic.check_due_backups() == []


def test_a_failed_last_backup_is_said(shop: Database) -> None:
    new_backup(shop, status=BackupStatus.SUCCEEDED)
    new_backup(shop, status=BackupStatus.FAILED, error="mariadb-dump: Got error: 1044")
    assert actions.backup_problems(shop) == ["its last backup failed: mariadb-dump: Got error: 1044"]


def daily_due_two_hours_ago(database: Database, created_days_ago: float) -> tuple[str, object]:
    """A daily schedule whose last due time was two hours ago, made `created_days_ago` ago."""
    due = (timezone.now() - timedelta(hours=2)).replace(second=0, microsecond=0)
    schedule = BackupSchedule.objects.create(
        database=database, cron=f"{due.minute} {due.hour} * * *", keep=3, next_run_at=timezone.now()
    )
    BackupSchedule.objects.filter(pk=schedule.pk).update(
        created_at=timezone.now() - timedelta(days=created_days_ago)
    )
    return f"{due:%Y-%m-%d %H:%M}", due


def test_a_scheduled_backup_that_did_not_run_when_due_is_flagged(shop: Database) -> None:
    due_text, _due = daily_due_two_hours_ago(shop, created_days_ago=3)
    assert actions.backup_problems(shop) == [f"the backup due at {due_text} UTC did not run"]
    new_backup(shop, status=BackupStatus.RUNNING)  # it was taken late: it runs now
    assert actions.backup_problems(shop) == []


def test_a_schedule_made_after_its_last_due_time_is_not_flagged(shop: Database) -> None:
    daily_due_two_hours_ago(shop, created_days_ago=1 / 24)
    assert actions.backup_problems(shop) == []
