"""Create one database, with the character set and collation the user chose from the server's."""

from __future__ import annotations

from brokeforge.databases.models import Database
from brokeforge.lib.enums import DatabaseEngine, DatabaseStatus, PackageName, PackageType
from brokeforge.packages.base import PackageInstaller, ServerPackage, Step
from brokeforge.packages.services.databases import records
from brokeforge.packages.services.databases.database.milestones import DatabaseInstallerMilestones as M
from brokeforge.packages.services.databases.engines import engine

# PostgreSQL needs an encoding to copy template0 with; MariaDB takes the server's default.
DEFAULT_CHARSETS = {DatabaseEngine.MARIADB: "", DatabaseEngine.POSTGRESQL: "UTF8"}


class DatabaseInstaller(PackageInstaller, ServerPackage):
    def package_name(self) -> PackageName:
        return PackageName.DATABASE

    def package_type(self) -> PackageType:
        return PackageType.DATABASE

    def milestones(self) -> type[M]:
        return M

    def execute(self, database: Database) -> None:
        records.failing(database, self.secrets, lambda: self.install(self.commands(database)))

    def commands(self, database: Database) -> list[Step]:
        chosen = engine(database.engine)
        return [
            self.panel(
                "Mark the database as being created", lambda: records.mark(database, DatabaseStatus.APPLYING)
            ),
            self.track(M.CREATE),
            chosen.run(
                "create-database",
                name=database.name,
                charset=database.charset or DEFAULT_CHARSETS[chosen.engine],
                collation=database.collation,
            ),
            self.panel("Mark the database as ready", lambda: records.mark(database, DatabaseStatus.READY)),
            self.track(M.COMPLETE),
        ]
