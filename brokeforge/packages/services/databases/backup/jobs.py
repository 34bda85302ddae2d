from brokeforge.databases.models import Backup, Database
from brokeforge.packages.base import PackageJob
from brokeforge.packages.services.databases.backup.installer import DatabaseBackupInstaller
from brokeforge.packages.services.databases.backup.restorer import DatabaseRestoreInstaller
from brokeforge.servers.models import Server


class DatabaseBackupInstallerJob(PackageJob):
    """Its argument is the Backup row's id."""

    def __init__(self, server: Server, backup_id: int) -> None:
        super().__init__(server, backup_id)
        self.backup = Backup.objects.select_related("database").get(pk=backup_id, server=server)

    def label(self) -> str:
        backup = self.backup
        return (
            f"Back up the {backup.get_engine_display()} database {backup.database_name} on {self.server.name}"
        )

    def run(self) -> None:
        DatabaseBackupInstaller(self.server).execute(self.backup)


class DatabaseRestoreInstallerJob(PackageJob):
    """Arguments: the backup's id, the database it goes into, whether that database is new, and
    the backup to take of it first (a restore over a database: the undo), if any."""

    def __init__(
        self,
        server: Server,
        backup_id: int,
        target_id: int,
        create: bool,
        safety_backup_id: int | None = None,
    ) -> None:
        super().__init__(server, backup_id, target_id, create, safety_backup_id)
        self.backup = Backup.objects.get(pk=backup_id, server=server)
        self.into = Database.objects.get(pk=target_id, server=server)
        self.create = create
        self.safety = (
            Backup.objects.select_related("database").get(pk=safety_backup_id, server=server)
            if safety_backup_id
            else None
        )

    def label(self) -> str:
        return f"Restore backup #{self.backup.pk} into {self.into.name} on {self.server.name}"

    def run(self) -> None:
        if self.safety is not None:
            DatabaseBackupInstaller(self.server).execute(self.safety)
        DatabaseRestoreInstaller(self.server).execute(self.backup, self.into, self.create)
