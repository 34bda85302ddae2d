from brokeforge.packages.base import SitePackageJob
from brokeforge.packages.services.sites.command.installer import SiteCommandInstaller, check_request
from brokeforge.sites.models import Site


class SiteCommandInstallerJob(SitePackageJob):
    def __init__(self, site: Site, command: str, timeout: int = 120) -> None:
        super().__init__(site, command, timeout)
        check_request(command, timeout)
        self.command, self.timeout_seconds = command, timeout

    def label(self) -> str:
        assert self.site is not None
        first_line = self.command.strip().splitlines()[0]
        return f"Run `{first_line[:80]}` on {self.site.domain}"

    def run(self) -> None:
        assert self.site is not None
        SiteCommandInstaller(self.server, self.site).execute(self.command, self.timeout_seconds)
