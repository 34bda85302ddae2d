"""Drop one database. The panel's users lose their grants on it first (MariaDB would keep them
and hand them to a database made later under the same name)."""

from __future__ import annotations

from brokeforge.databases.models import Database, DatabaseUser
from brokeforge.lib.enums import DatabaseStatus, PackageName, PackageType
from brokeforge.packages.base import PackageRemover, ServerPackage, Step
from brokeforge.packages.services.databases import records
from brokeforge.packages.services.databases.database.milestones import DatabaseRemoverMilestones as M
from brokeforge.packages.services.databases.engines import engine


class DatabaseRemover(PackageRemover, ServerPackage):
    def package_name(self) -> PackageName:
        return PackageName.DATABASE

    def package_type(self) -> PackageType:
        return PackageType.DATABASE

    def milestones(self) -> type[M]:
        return M

    def execute(self, database: Database) -> None:
        users = DatabaseUser.objects.filter(server=database.server_id, engine=database.engine)
        accounts = [(user.name, user.host) for user in users.order_by("name", "host")]
        records.failing(database, self.secrets, lambda: self.remove(self.commands(database, accounts)))

    def commands(self, database: Database, accounts: list[tuple[str, str]]) -> list[Step]:
        """`accounts`: the panel's users of the engine (name, host), who lose their grants on it."""
        chosen = engine(database.engine)
        return [
            self.panel(
                "Mark the database as being dropped", lambda: records.mark(database, DatabaseStatus.DROPPING)
            ),
            self.track(M.DROP),
            chosen.run(
                "drop-database",
                name=database.name,
                databases=[database.name],
                accounts=[chosen.account(name, host) for name, host in accounts],
            ),
            self.panel("Forget the database", lambda: records.forget(database)),
            self.track(M.COMPLETE),
        ]
