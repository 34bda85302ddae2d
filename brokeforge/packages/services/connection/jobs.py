from brokeforge.packages.base import PackageJob
from brokeforge.packages.services.connection.installer import ConnectionInstaller


class ConnectionInstallerJob(PackageJob):
    def label(self) -> str:
        return f"Verify connection to {self.server.name}"

    def run(self) -> None:
        ConnectionInstaller(self.server).execute()
