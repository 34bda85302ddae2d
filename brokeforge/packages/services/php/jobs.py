from brokeforge.lib.enums import PhpVersion
from brokeforge.packages.base import PackageJob
from brokeforge.packages.services.php.installer import PhpInstaller
from brokeforge.servers.models import Server


class PhpInstallerJob(PackageJob):
    def __init__(self, server: Server, version: str) -> None:
        super().__init__(server, version)
        self.version = PhpVersion.parse(version)

    def label(self) -> str:
        return f"Install PHP {self.version.value} on {self.server.name}"

    def run(self) -> None:
        PhpInstaller(self.server).execute(self.version)
