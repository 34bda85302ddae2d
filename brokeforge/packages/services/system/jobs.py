from brokeforge.packages.base import PackageJob
from brokeforge.packages.base.shell import debian_package
from brokeforge.packages.services.system.installer import SystemInstaller
from brokeforge.servers.models import Server


class SystemInstallerJob(PackageJob):
    def __init__(self, server: Server, *stack: str) -> None:
        super().__init__(server, *stack)
        self.stack = [debian_package(name) for name in stack]

    def label(self) -> str:
        return f"Prepare the system of {self.server.name}"

    def run(self) -> None:
        SystemInstaller(self.server).execute(self.stack)
