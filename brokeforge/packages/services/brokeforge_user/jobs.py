from brokeforge.packages.base import PackageJob
from brokeforge.packages.services.brokeforge_user.installer import BrokeforgeUserInstaller


class BrokeforgeUserInstallerJob(PackageJob):
    def label(self) -> str:
        return f"Authorise the panel on {self.server.name}"

    def run(self) -> None:
        BrokeforgeUserInstaller(self.server).execute()
