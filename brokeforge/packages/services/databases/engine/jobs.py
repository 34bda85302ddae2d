from brokeforge.lib.enums import DatabaseEngine
from brokeforge.packages.base import PackageJob
from brokeforge.packages.services.databases.engine.installer import DatabaseEngineInstaller, DatabaseSync
from brokeforge.packages.services.databases.engine.remover import DatabaseEngineRemover
from brokeforge.servers.models import Server


class _EngineJob(PackageJob):
    """A job on one engine of a server; its argument is the engine's name."""

    verb = ""

    def __init__(self, server: Server, engine: str, *more: bool) -> None:
        super().__init__(server, engine, *more)
        self.engine = DatabaseEngine.parse(engine)

    def label(self) -> str:
        return f"{self.verb.format(engine=self.engine.label)} on {self.server.name}"


class DatabaseEngineInstallerJob(_EngineJob):
    verb = "Install {engine}"

    def run(self) -> None:
        DatabaseEngineInstaller(self.server).execute(self.engine)


class DatabaseEngineRemoverJob(_EngineJob):
    verb = "Remove {engine}"

    def __init__(self, server: Server, engine: str, confirmed: bool = False) -> None:
        super().__init__(server, engine, confirmed)
        self.confirmed = confirmed

    def run(self) -> None:
        DatabaseEngineRemover(self.server).execute(self.engine, self.confirmed)


class DatabaseSyncJob(_EngineJob):
    verb = "Import {engine}'s databases and users"

    def run(self) -> None:
        DatabaseSync(self.server).execute(self.engine)
