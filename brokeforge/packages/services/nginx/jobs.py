from brokeforge.lib.enums import PhpVersion
from brokeforge.packages.base import PackageJob
from brokeforge.packages.services.nginx.installer import NginxInstaller
from brokeforge.servers.models import Server


class NginxInstallerJob(PackageJob):
    def __init__(self, server: Server, php_version: str) -> None:
        super().__init__(server, php_version)
        self.php_version = PhpVersion.parse(php_version)

    def label(self) -> str:
        return f"Install Nginx on {self.server.name}"

    def run(self) -> None:
        NginxInstaller(self.server).execute(self.php_version)
