from brokeforge.databases.models import DatabaseUser
from brokeforge.packages.base import PackageJob
from brokeforge.packages.services.databases.user.installer import DatabaseUserInstaller
from brokeforge.packages.services.databases.user.remover import DatabaseUserRemover
from brokeforge.servers.models import Server


class _DatabaseUserJob(PackageJob):
    """A job on one database user; its argument is the DatabaseUser row's id (the password it
    sets stays in that row, encrypted, never in the queue)."""

    verb = ""

    def __init__(self, server: Server, user_id: int) -> None:
        super().__init__(server, user_id)
        self.user = DatabaseUser.objects.get(pk=user_id, server=server)

    def label(self) -> str:
        return f"{self.verb} {self.user.get_engine_display()} user {self.user.account} on {self.server.name}"


class DatabaseUserInstallerJob(_DatabaseUserJob):
    verb = "Apply the"

    def run(self) -> None:
        DatabaseUserInstaller(self.server).execute(self.user)


class DatabaseUserRemoverJob(_DatabaseUserJob):
    verb = "Delete the"

    def run(self) -> None:
        DatabaseUserRemover(self.server).execute(self.user)
