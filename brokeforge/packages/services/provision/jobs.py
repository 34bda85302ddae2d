from brokeforge.lib.enums import PhpVersion
from brokeforge.packages.base import PackageJob
from brokeforge.packages.services.provision.installer import ProvisionInstaller
from brokeforge.servers.models import Server


class ProvisionInstallerJob(PackageJob):
    marks_provision_status = True
    timeout = 3600

    def __init__(self, server: Server, php_version: str) -> None:
        super().__init__(server, php_version)
        self.php_version = PhpVersion.parse(php_version)

    def label(self) -> str:
        return f"Provision {self.server.name}"

    def run(self) -> None:
        ProvisionInstaller(self.server).execute(self.php_version)
