from brokeforge.lib.enums import DatabaseEngine
from brokeforge.packages.base import PackageJob
from brokeforge.packages.services.databases.access.installer import DatabaseAccessInstaller
from brokeforge.servers.models import Server


class DatabaseAccessInstallerJob(PackageJob):
    """Arguments: the engine, and the sources remote clients may connect from (none: local only)."""

    def __init__(self, server: Server, engine: str, sources: str) -> None:
        super().__init__(server, engine, sources)
        self.engine = DatabaseEngine.parse(engine)
        self.sources = [source for source in sources.split(",") if source]

    def label(self) -> str:
        if not self.sources:
            return f"Close {self.engine.label} to remote clients on {self.server.name}"
        return f"Open {self.engine.label} to {', '.join(self.sources)} on {self.server.name}"

    def run(self) -> None:
        DatabaseAccessInstaller(self.server).execute(self.engine, self.sources)
