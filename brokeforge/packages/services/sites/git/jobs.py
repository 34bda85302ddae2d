from brokeforge.packages.base import SitePackageJob
from brokeforge.packages.services.sites.git.host_keys import checked_fingerprint
from brokeforge.packages.services.sites.git.installer import GitRepositoryInstaller
from brokeforge.sites.models import Site


class GitRepositoryInstallerJob(SitePackageJob):
    """Set up (or check again) the site's repository; with a fingerprint, accept that host key."""

    def __init__(self, site: Site, accept_fingerprint: str = "") -> None:
        super().__init__(site, accept_fingerprint)
        self.accept_fingerprint = checked_fingerprint(accept_fingerprint) if accept_fingerprint else ""

    def label(self) -> str:
        assert self.site is not None
        if self.accept_fingerprint:
            return f"Accept host key {self.accept_fingerprint} for the repository of {self.site.domain}"
        return f"Set the repository of {self.site.domain}"

    def run(self) -> None:
        assert self.site is not None
        GitRepositoryInstaller(self.server, self.site).execute(self.accept_fingerprint)
