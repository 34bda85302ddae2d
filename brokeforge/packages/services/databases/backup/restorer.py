"""Restore a backup into a database of the same server: the one it came from, or a new one.

The file on the server is checked against the backup's checksum first; if it is gone or
changed, the panel's copy is put back. Restoring over a database that holds data is preceded,
in the same job, by a backup of what it holds now (the action asks for it): an undo."""

from __future__ import annotations

import base64
import shlex
from pathlib import PurePosixPath

from brokeforge.databases.models import Backup, Database
from brokeforge.lib.enums import DatabaseStatus, PackageName, PackageType
from brokeforge.lib.templates import render
from brokeforge.packages.base import Command, PackageInstaller, ServerPackage, Step
from brokeforge.packages.services.databases import records
from brokeforge.packages.services.databases.backup.installer import BackupFailed, sha256_of
from brokeforge.packages.services.databases.backup.milestones import DatabaseRestoreInstallerMilestones as M
from brokeforge.packages.services.databases.database.installer import DEFAULT_CHARSETS
from brokeforge.packages.services.databases.engines import engine


class DatabaseRestoreInstaller(PackageInstaller, ServerPackage):
    def package_name(self) -> PackageName:
        return PackageName.DATABASE_RESTORE

    def package_type(self) -> PackageType:
        return PackageType.DATABASE

    def milestones(self) -> type[M]:
        return M

    def execute(self, backup: Backup, target: Database, create: bool) -> None:
        records.failing(target, self.secrets, lambda: self.install(self.commands(backup, target, create)))

    def commands(self, backup: Backup, target: Database, create: bool) -> list[Step]:
        """`create`: the target is a new database, made here before the backup goes in."""
        chosen = engine(target.engine)
        return [
            self.panel(
                "Mark the database as being restored", lambda: records.mark(target, DatabaseStatus.APPLYING)
            ),
            self.track(M.CHECK),
            self.panel(f"Check {backup.remote_path} on the server", lambda: self._ensure_file(backup)),
            self.track(M.CREATE),
            *(
                [
                    chosen.run(
                        "create-database",
                        name=target.name,
                        charset=target.charset or DEFAULT_CHARSETS[chosen.engine],
                        collation=target.collation,
                    )
                ]
                if create
                else []
            ),
            self.track(M.RESTORE),
            Command(f"bash -c {shlex.quote(restore_script(backup, target))}"),
            self.panel("Mark the database as ready", lambda: records.mark(target, DatabaseStatus.READY)),
            self.track(M.COMPLETE),
        ]

    def _ensure_file(self, backup: Backup) -> None:
        """The server's copy as it was made, or the panel's put back in its place."""
        path = shlex.quote(backup.remote_path)
        found = self.query(f"sha256sum {path} 2>/dev/null | cut -d' ' -f1 || true").stdout.strip()
        if found == backup.sha256:
            return
        local = backup.local_path
        if not local.exists() or sha256_of(local) != backup.sha256:
            raise BackupFailed(
                f"Backup #{backup.pk} is gone from the server and from the panel (or no longer matches "
                "its checksum): nothing to restore."
            )
        directory = shlex.quote(str(PurePosixPath(backup.remote_path).parent))
        put_back = (
            f"umask 077 && mkdir -p {directory} && base64 -d > {path}.partial && mv -f {path}.partial {path}"
        )
        self.run_command(Command(put_back, stdin=base64.b64encode(local.read_bytes()).decode()))


def restore_script(backup: Backup, target: Database) -> str:
    return render(
        "databases/restore.sh.j2",
        engine=target.engine,
        database=target.name,
        path=backup.remote_path,
        sha256=backup.sha256,
    )
