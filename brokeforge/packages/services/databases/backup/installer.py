"""Back up one database: dumped and compressed on the server (a consistent snapshot: a single
transaction for MariaDB's InnoDB tables, pg_dump's own for PostgreSQL), copied into the panel's
data directory and checked against the checksum the server computed, then the oldest beyond the
number kept are removed from both places."""

from __future__ import annotations

import hashlib
import shlex
from pathlib import Path
from typing import Any

from django.utils import timezone

from brokeforge.databases.models import DEFAULT_KEEP, Backup
from brokeforge.lib.enums import BackupStatus, PackageName, PackageType
from brokeforge.lib.redact import redact
from brokeforge.lib.templates import render
from brokeforge.packages.base import Command, PackageInstaller, ServerPackage, Step
from brokeforge.packages.base.runner import runner
from brokeforge.packages.services.databases.backup.milestones import DatabaseBackupInstallerMilestones as M
from brokeforge.ssh import CommandResult


class BackupFailed(RuntimeError):
    pass


class DatabaseBackupInstaller(PackageInstaller, ServerPackage):
    def package_name(self) -> PackageName:
        return PackageName.DATABASE_BACKUP

    def package_type(self) -> PackageType:
        return PackageType.DATABASE

    def milestones(self) -> type[M]:
        return M

    def execute(self, backup: Backup) -> None:
        schedule = getattr(backup.database, "backup_schedule", None) if backup.database else None
        keep = schedule.keep if schedule is not None else DEFAULT_KEEP
        try:
            self.install(self.commands(backup, keep))
        except Exception as exc:
            _finish(backup, BackupStatus.FAILED, redact(str(exc) or type(exc).__name__, runner().secrets))
            raise

    def commands(self, backup: Backup, keep: int) -> list[Step]:
        if not backup.file_name:
            raise ValueError(f"Backup #{backup.pk} has no file name yet.")
        return [
            self.panel("Mark the backup as running", lambda: _finish(backup, BackupStatus.RUNNING)),
            self.track(M.DUMP),
            Command(
                f"bash -c {shlex.quote(dump_script(backup))}",
                reads_output=True,
                on_result=lambda result: _read_checksum(backup, result),
            ),
            self.track(M.COPY),
            self.panel(f"Copy {backup.remote_path} into the panel", lambda: self._copy(backup)),
            self.track(M.ROTATE),
            self.panel(
                f"Keep the newest {keep} backups of {backup.database_name}",
                lambda: self._rotate(backup, keep),
            ),
            self.panel("Mark the backup as succeeded", lambda: _finish(backup, BackupStatus.SUCCEEDED)),
            self.track(M.COMPLETE),
        ]

    def _copy(self, backup: Backup) -> None:
        local = backup.local_path
        local.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = local.with_name(f".{local.name}.partial")
        self.download(backup.remote_path, str(partial))
        partial.chmod(0o600)  # a database's whole content: the panel's user only
        if sha256_of(partial) != backup.sha256:
            partial.unlink(missing_ok=True)
            raise BackupFailed(f"The copy of {backup.remote_path} does not match the server's checksum.")
        partial.replace(local)

    def _rotate(self, backup: Backup, keep: int) -> None:
        """The backups of the same database beyond the newest `keep` (this one counts) go, on
        the server and in the panel. Failed ones have no file and stay as a record; one under
        way elsewhere is not counted."""
        kept = Backup.objects.filter(
            server=backup.server_id,
            engine=backup.engine,
            database_name=backup.database_name,
            status=BackupStatus.SUCCEEDED,
        )
        older = [old for old in kept.exclude(pk=backup.pk).order_by("-created_at", "-pk")[max(keep - 1, 0) :]]
        if not older:
            return
        self.run_command(" ".join(["rm", "-f", "--", *(shlex.quote(old.remote_path) for old in older)]))
        for old in older:
            old.local_path.unlink(missing_ok=True)
            old.delete()


def dump_script(backup: Backup) -> str:
    path = backup.remote_path
    return render(
        "databases/backup.sh.j2",
        engine=backup.engine,
        database=backup.database_name,
        directory=str(Path(path).parent),
        path=path,
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _read_checksum(backup: Backup, result: CommandResult) -> None:
    found = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    try:
        backup.size_bytes, backup.sha256 = int(found["size"]), found["sha256"]
    except (KeyError, ValueError):
        raise BackupFailed(
            f"The server did not say the backup's size and checksum: {result.stdout!r}"
        ) from None
    Backup.objects.filter(pk=backup.pk).update(size_bytes=backup.size_bytes, sha256=backup.sha256)


def _finish(backup: Backup, status: BackupStatus, error: str = "") -> None:
    backup.status, backup.error = status, error
    fields: dict[str, Any] = {"status": status, "error": error, "job_id": runner().job_id}
    if status in (BackupStatus.SUCCEEDED, BackupStatus.FAILED):
        backup.finished_at = fields["finished_at"] = timezone.now()
    Backup.objects.filter(pk=backup.pk).update(**fields)
