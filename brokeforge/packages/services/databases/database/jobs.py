from brokeforge.databases.models import Database
from brokeforge.packages.base import PackageJob
from brokeforge.packages.services.databases.database.installer import DatabaseInstaller
from brokeforge.packages.services.databases.database.remover import DatabaseRemover
from brokeforge.servers.models import Server


class _DatabaseJob(PackageJob):
    """A job on one database; its argument is the Database row's id."""

    verb = ""

    def __init__(self, server: Server, database_id: int) -> None:
        super().__init__(server, database_id)
        self.database = Database.objects.get(pk=database_id, server=server)

    def label(self) -> str:
        database = self.database
        return f"{self.verb} {database.get_engine_display()} database {database.name} on {self.server.name}"


class DatabaseInstallerJob(_DatabaseJob):
    verb = "Create the"

    def run(self) -> None:
        DatabaseInstaller(self.server).execute(self.database)


class DatabaseRemoverJob(_DatabaseJob):
    verb = "Drop the"

    def run(self) -> None:
        DatabaseRemover(self.server).execute(self.database)
