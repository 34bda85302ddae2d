from brokeforge.packages.base import PackageJob
from brokeforge.packages.services.system.installer import SystemInstaller


class SystemInstallerJob(PackageJob):
    def label(self) -> str:
        return f"Prepare the system of {self.server.name}"

    def run(self) -> None:
        SystemInstaller(self.server).execute()
